import type { AccountScope, RequestContext } from '../api/context.ts';
import { EC2_HANDLERS, isUnfilteredUnpaginated } from '../api/ec2.ts';
import { ECS_HANDLERS, requestClusterName } from '../api/ecs.ts';
import { SQS_HANDLERS } from '../api/sqs.ts';
import { SSM_HANDLERS } from '../api/ssm.ts';
import { STS_HANDLERS, STS_NS } from '../api/sts.ts';
import { ApiError } from '../protocols/errors.ts';
import { awsJson, awsQuery, ec2Query, type OperationInput, type Protocol } from '../protocols/protocol.ts';
import type { QueryParams } from '../protocols/query.ts';
import { throttleCategory } from '../throttle/buckets.ts';

/** A simulated service's name, as counted and as in SigV4 credential scopes and IAM actions. */
export type ServiceName = 'ecs' | 'ssm' | 'sqs' | 'ec2' | 'sts';

/** An operation handler as the table holds it (each service types its own input). */
export type Operation = (ctx: RequestContext, input: never) => unknown;

/** How a service says "slow down", "unavailable", "internal error" and "not authorized" on the wire. */
export interface ServiceErrors {
  throttled(): ApiError;
  unavailable(): ApiError;
  internal(): ApiError;
  accessDenied(operation: string, principalArn: string): ApiError;
}

/** One simulated AWS service: how its requests are recognised, read and answered, and what it throttles. */
export interface ServiceSpec {
  readonly name: ServiceName;
  /** `X-Amz-Target` prefix of an AWS JSON service; undefined for Query services, told apart by Action. */
  readonly targetPrefix: string | undefined;
  readonly protocol: Protocol;
  readonly operations: Readonly<Record<string, Operation>>;
  readonly errors: ServiceErrors;
  /** The token bucket a call takes from; undefined: the call is not throttled. */
  throttleCategory(operation: string, input: OperationInput): string | undefined;
  /** The cluster a call is scoped to, for cluster-scoped faults (undefined: account-wide). */
  clusterOf(scope: AccountScope, operation: string, input: OperationInput): string | undefined;
}

interface ErrorCode {
  code: string;
  status?: number;
  /** SQS's legacy Query code for `x-amzn-query-error`. */
  queryCode?: string;
}

function serviceErrors(
  name: ServiceName,
  codes: {
    throttled: ErrorCode & { message: string; status: number };
    unavailable: ErrorCode;
    internal: ErrorCode;
    accessDenied: ErrorCode & { status: number };
  },
): ServiceErrors {
  const { throttled: t, unavailable: u, internal: i, accessDenied: a } = codes;
  return {
    throttled: () => new ApiError(t.code, t.message, t.status, t.queryCode),
    unavailable: () => new ApiError(u.code, 'Service Unavailable', 503, u.queryCode),
    internal: () => new ApiError(i.code, 'An internal error occurred. Please try again.', 500, i.queryCode),
    accessDenied: (operation, principalArn) => {
      const action = `${name}:${operation}`;
      const message = `User: ${principalArn} is not authorized to perform: ${action} because no identity-based policy allows the ${action} action`;
      return new ApiError(a.code, message, a.status, a.queryCode);
    },
  };
}

const RATE_EXCEEDED = { code: 'ThrottlingException', message: 'Rate exceeded', status: 400 };
const ACCOUNT_WIDE = (): undefined => undefined;

const ECS: ServiceSpec = {
  name: 'ecs',
  targetPrefix: 'AmazonEC2ContainerServiceV20141113.',
  protocol: awsJson('1.1'),
  operations: ECS_HANDLERS,
  errors: serviceErrors('ecs', {
    throttled: RATE_EXCEEDED,
    unavailable: { code: 'ServiceUnavailableException' },
    internal: { code: 'ServerException' },
    accessDenied: { code: 'AccessDeniedException', status: 400 },
  }),
  throttleCategory: (operation) => throttleCategory('ecs', operation, false),
  clusterOf: (scope, operation, input) =>
    requestClusterName(scope, operation, input as Record<string, unknown>),
};

const SSM: ServiceSpec = {
  name: 'ssm',
  targetPrefix: 'AmazonSSM.',
  protocol: awsJson('1.1'),
  operations: SSM_HANDLERS,
  errors: serviceErrors('ssm', {
    throttled: RATE_EXCEEDED,
    unavailable: { code: 'ServiceUnavailableException' },
    internal: { code: 'InternalServerError' },
    accessDenied: { code: 'AccessDeniedException', status: 400 },
  }),
  throttleCategory: (operation) => throttleCategory('ssm', operation, false),
  clusterOf: ACCOUNT_WIDE,
};

const SQS: ServiceSpec = {
  name: 'sqs',
  targetPrefix: 'AmazonSQS.',
  protocol: awsJson('1.0', 'com.amazonaws.sqs#'),
  operations: SQS_HANDLERS,
  errors: serviceErrors('sqs', {
    throttled: { ...RATE_EXCEEDED, queryCode: 'Throttling' },
    unavailable: { code: 'ServiceUnavailableException', queryCode: 'ServiceUnavailable' },
    internal: { code: 'InternalServerError', queryCode: 'InternalError' },
    accessDenied: { code: 'AccessDeniedException', status: 403, queryCode: 'AccessDenied' },
  }),
  throttleCategory: () => undefined,
  clusterOf: ACCOUNT_WIDE,
};

const EC2: ServiceSpec = {
  name: 'ec2',
  targetPrefix: undefined,
  protocol: ec2Query,
  operations: EC2_HANDLERS,
  errors: serviceErrors('ec2', {
    throttled: { code: 'RequestLimitExceeded', message: 'Request limit exceeded.', status: 503 },
    unavailable: { code: 'Unavailable' },
    internal: { code: 'InternalError' },
    accessDenied: { code: 'UnauthorizedOperation', status: 403 },
  }),
  throttleCategory: (operation, input) =>
    throttleCategory('ec2', operation, isUnfilteredUnpaginated(input as QueryParams)),
  clusterOf: ACCOUNT_WIDE,
};

const STS: ServiceSpec = {
  name: 'sts',
  targetPrefix: undefined,
  protocol: awsQuery(STS_NS),
  operations: STS_HANDLERS,
  errors: serviceErrors('sts', {
    throttled: { code: 'Throttling', message: 'Rate exceeded', status: 400 },
    unavailable: { code: 'ServiceUnavailable' },
    internal: { code: 'InternalFailure' },
    accessDenied: { code: 'AccessDenied', status: 403 },
  }),
  throttleCategory: () => undefined,
  clusterOf: ACCOUNT_WIDE,
};

/**
 * Every simulated service. AWS JSON services are found by their `X-Amz-Target` prefix; a Query request goes to the
 * service of its SigV4 credential scope, else to the one that has its Action, else to `QUERY_FALLBACK`.
 */
export const SERVICES: readonly ServiceSpec[] = [ECS, SSM, SQS, EC2, STS];

/** The Query service that answers an Action no other service claims (with InvalidAction or MissingAction). */
export const QUERY_FALLBACK: ServiceSpec = EC2;
