import { ApiError } from './errors.ts';
import { jsonError, jsonOk, parseJsonBody, type WireResponse } from './json.ts';
import { parseQueryBody, type QueryParams } from './query.ts';
import { ec2Error, ec2Ok, queryError, queryOk, type XmlElement } from './xml.ts';

/** The input of one operation: an AWS JSON object, or the flat parameters of a Query request. */
export type OperationInput = Record<string, unknown> | QueryParams;

/** An AWS wire protocol: how an operation's input is read and its result or error is written. */
export interface Protocol {
  /** Reads the input; a body that does not fit the protocol throws ApiError (SerializationException for JSON). */
  readInput(body: string, params: QueryParams | undefined): OperationInput;
  ok(operation: string, result: unknown, requestId: string): WireResponse;
  error(err: ApiError, requestId: string): WireResponse;
  /** The error for an operation the service does not have. */
  unknownOperation(operation: string): ApiError;
}

/** AWS JSON 1.0 or 1.1 (ECS, SSM, SQS); `typePrefix` goes before `__type` codes (SQS: `com.amazonaws.sqs#`). */
export function awsJson(version: '1.0' | '1.1', typePrefix = ''): Protocol {
  return {
    readInput: (body) => parseJsonBody(body),
    ok: (_, result, requestId) => jsonOk(version, result, requestId),
    error: (err, requestId) => jsonError(version, err, requestId, typePrefix),
    unknownOperation: (operation) =>
      new ApiError('UnknownOperationException', `unknown operation ${operation}`),
  };
}

/** Query protocols name a missing or unknown Action the same way (EC2 and STS). */
function unknownAction(operation: string): ApiError {
  if (operation === '')
    return new ApiError('MissingAction', 'The request must contain the parameter Action.');
  return new ApiError(
    'InvalidAction',
    `The action ${operation || '(none)'} is not valid for this web service.`,
  );
}

const readParams = (body: string, params: QueryParams | undefined): QueryParams =>
  params ?? parseQueryBody(body);

/** The EC2 Query protocol: form-encoded input, `<OpResponse>` XML with `<requestId>`, `<Response><Errors>` errors. */
export const ec2Query: Protocol = {
  readInput: readParams,
  ok: (operation, result, requestId) => ec2Ok(operation, result as XmlElement, requestId),
  error: (err, requestId) => ec2Error(err, requestId),
  unknownOperation: unknownAction,
};

/** The awsQuery protocol (STS): form-encoded input, `<OpResponse><OpResult>` XML in namespace `ns`. */
export function awsQuery(ns: string): Protocol {
  return {
    readInput: readParams,
    ok: (operation, result, requestId) => queryOk(operation, ns, result as XmlElement, requestId),
    error: (err, requestId) => queryError(ns, err, requestId),
    unknownOperation: unknownAction,
  };
}
