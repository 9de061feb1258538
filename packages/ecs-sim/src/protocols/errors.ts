/** An AWS API error with its wire code, HTTP status and message; handlers throw it, the server renders it per protocol. */
export class ApiError extends Error {
  readonly code: string;
  readonly status: number;
  /** SQS (awsQueryCompatible) legacy code sent in `x-amzn-query-error`. */
  readonly queryCode: string | undefined;
  constructor(code: string, message: string, status = 400, queryCode?: string) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.status = status;
    this.queryCode = queryCode;
  }
}

/** Shorthand for the ECS/SSM `InvalidParameterException` (HTTP 400). */
export const invalidParameter = (message: string): ApiError =>
  new ApiError('InvalidParameterException', message);

/** Shorthand for the AWS JSON `SerializationException` raised for bodies that do not match the operation's shape. */
export const serializationError = (message: string): ApiError =>
  new ApiError('SerializationException', message);
