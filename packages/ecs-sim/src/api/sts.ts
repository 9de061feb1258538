import { ApiError } from '../protocols/errors.ts';
import type { QueryParams } from '../protocols/query.ts';
import type { XmlElement } from '../protocols/xml.ts';
import type { RequestContext } from './context.ts';

/** The STS XML namespace of every response. */
export const STS_NS = 'https://sts.amazonaws.com/doc/2011-06-15/';

/** A temporary credential issued by AssumeRole, mapped back to its account on every later call. */
export interface StsSession {
  accessKeyId: string;
  accountId: string;
  roleName: string;
  sessionName: string;
  arn: string;
  roleId: string;
  expiration: Date;
}

/** Sessions by access key id (shared by every request of one simulator). */
export type SessionStore = Map<string, StsSession>;

const ROLE_ARN = /^arn:aws[\w-]*:iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]{1,64})$/;

function validationError(field: string, value: string | undefined, constraint: string): ApiError {
  return new ApiError(
    'ValidationError',
    `1 validation error detected: Value ${value === undefined ? 'null' : `'${value}'`} at '${field}' failed to satisfy constraint: ${constraint}`,
  );
}

function getCallerIdentity(ctx: RequestContext): XmlElement {
  const s = ctx.accessKeyId ? sessions(ctx).get(ctx.accessKeyId) : undefined;
  return {
    Arn: ctx.principalArn,
    UserId: s ? `${s.roleId}:${s.sessionName}` : 'AIDASIMULATOR000000001',
    Account: ctx.account.id,
  };
}

function assumeRole(ctx: RequestContext, params: QueryParams): XmlElement {
  const roleArn = params.get('RoleArn');
  const sessionName = params.get('RoleSessionName');
  if (roleArn === undefined) throw validationError('roleArn', roleArn, 'Member must not be null');
  if (sessionName === undefined)
    throw validationError('roleSessionName', sessionName, 'Member must not be null');
  if (!/^[\w+=,.@-]{2,64}$/.test(sessionName)) {
    throw validationError(
      'roleSessionName',
      sessionName,
      'Member must satisfy regular expression pattern: [\\w+=,.@-]*',
    );
  }
  const duration = Number(params.get('DurationSeconds') ?? 3600);
  if (!Number.isInteger(duration) || duration < 900 || duration > 43200) {
    throw validationError(
      'durationSeconds',
      String(params.get('DurationSeconds')),
      'Member must have value between 900 and 43200',
    );
  }
  const m = ROLE_ARN.exec(roleArn);
  const denied = (): ApiError =>
    new ApiError(
      'AccessDenied',
      `User: ${ctx.principalArn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
      403,
    );
  if (!m) throw validationError('roleArn', roleArn, 'Member must satisfy the IAM role ARN pattern');
  const target = ctx.world.accounts.get(m[1]!);
  const role = target?.roles.get(m[2]!);
  if (!target || !role) throw denied();
  if (role.externalId !== undefined && params.get('ExternalId') !== role.externalId) throw denied();
  const prng = ctx.world.prng;
  const accessKeyId = `ASIA${prng.hex(16).toUpperCase()}`;
  const roleId = `AROA${prng.hex(17).toUpperCase()}`;
  const arn = `arn:aws:sts::${target.id}:assumed-role/${role.name}/${sessionName}`;
  const expiration = new Date(Date.now() + duration * 1000);
  sessions(ctx).set(accessKeyId, {
    accessKeyId,
    accountId: target.id,
    roleName: role.name,
    sessionName,
    arn,
    roleId,
    expiration,
  });
  return {
    Credentials: {
      AccessKeyId: accessKeyId,
      SecretAccessKey: prng.hex(40),
      SessionToken: Buffer.from(`ecs-sim:${accessKeyId}:${prng.hex(32)}`).toString('base64'),
      Expiration: expiration.toISOString(),
    },
    AssumedRoleUser: { AssumedRoleId: `${roleId}:${sessionName}`, Arn: arn },
    PackedPolicySize: 0,
    SourceIdentity: params.get('SourceIdentity'),
  };
}

const STORE = new WeakMap<object, SessionStore>();

/** The session store of a world (created on first use). */
export function sessions(ctx: Pick<RequestContext, 'world'>): SessionStore {
  let s = STORE.get(ctx.world);
  if (!s) {
    s = new Map();
    STORE.set(ctx.world, s);
  }
  return s;
}

/** STS operations (Query protocol, awsQuery XML). */
export const STS_HANDLERS: Record<string, (ctx: RequestContext, params: QueryParams) => XmlElement> = {
  GetCallerIdentity: getCallerIdentity,
  AssumeRole: assumeRole,
};
