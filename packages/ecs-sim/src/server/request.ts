import type { IncomingHttpHeaders } from 'node:http';
import { sessions } from '../api/sts.ts';
import { ApiError } from '../protocols/errors.ts';
import { parseQueryBody, type QueryParams } from '../protocols/query.ts';
import type { Account } from '../state/model.ts';
import type { World } from '../state/world.ts';
import { QUERY_FALLBACK, type ServiceSpec } from './services.ts';

/** A request told apart: its service and operation, and for Query protocols the parameters read to find it. */
export interface ApiRequest {
  service: ServiceSpec;
  operation: string;
  params: QueryParams | undefined;
}

/** Who calls: the account the request acts in, its principal and its access key id. */
export interface Caller {
  account: Account;
  principalArn: string;
  accessKeyId: string | undefined;
}

/** Reads the SigV4 `Credential=AKID/date/region/service/aws4_request` scope of the Authorization header (signatures are not checked). */
export function credentialScope(header: string | undefined): { accessKeyId?: string; service?: string } {
  const m = header ? /Credential=([^/,\s]+)\/[^/]*\/[^/]*\/([^/]+)\//.exec(header) : null;
  return m ? { accessKeyId: m[1]!, service: m[2]! } : {};
}

/**
 * Step "parse": which service and operation a request is for. AWS JSON by the `X-Amz-Target` prefix; a form-encoded
 * `Action=` body by its SigV4 scope, else by which Query service has the Action, else `QUERY_FALLBACK`.
 */
export function classify(
  services: readonly ServiceSpec[],
  method: string | undefined,
  url: string | undefined,
  headers: IncomingHttpHeaders,
  body: string,
): ApiRequest | ApiError {
  const header = headers['x-amz-target'];
  const target = Array.isArray(header) ? header[0] : header;
  if (target) {
    const service = services.find((s) => s.targetPrefix !== undefined && target.startsWith(s.targetPrefix));
    if (!service?.targetPrefix)
      return new ApiError('UnknownOperationException', `unknown X-Amz-Target ${JSON.stringify(target)}`);
    return { service, operation: target.slice(service.targetPrefix.length), params: undefined };
  }
  const ct = String(headers['content-type'] ?? '');
  if (method === 'POST' && (ct.includes('x-www-form-urlencoded') || body.startsWith('Action='))) {
    const params = parseQueryBody(body);
    const action = params.get('Action') ?? '';
    const scope = credentialScope(headers.authorization);
    const query = services.filter((s) => s.targetPrefix === undefined);
    const service =
      query.find((s) => s.name === scope.service) ??
      query.find((s) => Object.hasOwn(s.operations, action)) ??
      QUERY_FALLBACK;
    return { service, operation: action, params };
  }
  return new ApiError(
    'UnknownOperationException',
    `cannot tell the protocol of ${method} ${url}: no X-Amz-Target header and no form-encoded Action`,
  );
}

/**
 * Step "authenticate": the account a request acts in. An AssumeRole session's key acts in the role's account, a
 * fleet's static key in its account, any other key in the default account.
 */
export function authenticate(world: World, authorization: string | undefined): Caller {
  const scope = credentialScope(authorization);
  const session = scope.accessKeyId ? sessions({ world }).get(scope.accessKeyId) : undefined;
  let accountId = session?.accountId ?? world.defaultAccountId;
  if (!session && scope.accessKeyId) {
    for (const a of world.accounts.values()) if (a.accessKeyIds.has(scope.accessKeyId)) accountId = a.id;
  }
  const account = world.account(accountId);
  const principalArn = session?.arn ?? `arn:aws:iam::${account.id}:user/ecs-sim`;
  return { account, principalArn, accessKeyId: scope.accessKeyId };
}
