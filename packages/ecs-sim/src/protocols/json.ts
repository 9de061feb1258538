import { ApiError, serializationError } from './errors.ts';

/** A rendered HTTP response: status, headers and body, before any fault mangles it. */
export interface WireResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Parses an AWS JSON 1.0/1.1 request body: empty means `{}`, anything but a JSON object is a SerializationException. */
export function parseJsonBody(text: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw serializationError(`request body is not valid JSON: ${JSON.stringify(text.slice(0, 40))}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw serializationError('request body must be a JSON object');
  }
  return value as Record<string, unknown>;
}

/** Renders a successful AWS JSON response with the content type of the protocol version. */
export function jsonOk(version: '1.0' | '1.1', body: unknown, requestId: string): WireResponse {
  return {
    status: 200,
    headers: { 'content-type': `application/x-amz-json-${version}`, 'x-amzn-requestid': requestId },
    body: JSON.stringify(body),
  };
}

/** Renders an AWS JSON error as AWS does: `{"__type", "message"}` plus `x-amzn-errortype`, and for SQS `x-amzn-query-error`. */
export function jsonError(
  version: '1.0' | '1.1',
  err: ApiError,
  requestId: string,
  typePrefix = '',
): WireResponse {
  const headers: Record<string, string> = {
    'content-type': `application/x-amz-json-${version}`,
    'x-amzn-requestid': requestId,
    'x-amzn-errortype': err.code,
  };
  if (err.queryCode !== undefined) {
    headers['x-amzn-query-error'] = `${err.queryCode};${err.status >= 500 ? 'Receiver' : 'Sender'}`;
  }
  return {
    status: err.status,
    headers,
    body: JSON.stringify({ __type: typePrefix + err.code, message: err.message }),
  };
}

/** Reads an optional string member; another type is a SerializationException as on AWS. */
export function optString(body: Record<string, unknown>, key: string): string | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw serializationError(`${key}: expected a string, got ${JSON.stringify(v)}`);
  return v;
}

/** Reads a required string member: missing is an InvalidParameterException (the code is caller's choice). */
export function reqString(
  body: Record<string, unknown>,
  key: string,
  code = 'InvalidParameterException',
): string {
  const v = optString(body, key);
  if (v === undefined || v === '') throw new ApiError(code, `${key} can not be blank.`);
  return v;
}

/** Reads an optional integer member; non-integers are a SerializationException. */
export function optInt(body: Record<string, unknown>, key: string): number | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    throw serializationError(`${key}: expected an integer, got ${JSON.stringify(v)}`);
  }
  return v;
}

/** Reads an optional boolean member. */
export function optBool(body: Record<string, unknown>, key: string): boolean | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean')
    throw serializationError(`${key}: expected a boolean, got ${JSON.stringify(v)}`);
  return v;
}

/** Reads an optional list of strings. */
export function optStringList(body: Record<string, unknown>, key: string): string[] | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) {
    throw serializationError(`${key}: expected a list of strings, got ${JSON.stringify(v).slice(0, 80)}`);
  }
  return v as string[];
}

/** Reads an optional list of objects. */
export function optObjectList(
  body: Record<string, unknown>,
  key: string,
): Record<string, unknown>[] | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((x) => x === null || typeof x !== 'object' || Array.isArray(x))) {
    throw serializationError(`${key}: expected a list of structures, got ${JSON.stringify(v).slice(0, 80)}`);
  }
  return v as Record<string, unknown>[];
}

/** Reads an optional nested structure. */
export function optObject(body: Record<string, unknown>, key: string): Record<string, unknown> | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) {
    throw serializationError(`${key}: expected a structure, got ${JSON.stringify(v).slice(0, 80)}`);
  }
  return v as Record<string, unknown>;
}
