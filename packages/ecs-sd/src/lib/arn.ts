/**
 * The one ARN parser: `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`, and the ECS resources read
 * from it. Task ARNs come in two formats (`task/CLUSTER/ID`, and the old `task/ID`); both are read.
 * Pure.
 */

/** The parts of an ARN. */
export interface ArnParts {
  partition: string;
  service: string;
  region: string;
  accountId: string;
  /** Everything after the fifth colon, e.g. `task/prod/0123…` or `task-definition/web:3`. */
  resource: string;
}

/** The parts of an ARN, undefined when the text is not `arn:` and at least six colon-separated parts. */
export function parseArn(text: string): ArnParts | undefined {
  const parts = text.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return undefined;
  const [, partition, service, region, accountId] = parts as [string, string, string, string, string];
  return { partition, service, region, accountId, resource: parts.slice(5).join(':') };
}

/** The resource part of an ARN (after the fifth colon), or the whole text when it is not an ARN. */
export function arnResource(arn: string): string {
  return parseArn(arn)?.resource ?? arn;
}

/** The account id of an ARN (`arn:aws:ecs:REGION:ACCOUNT:…`), undefined when it has no 12-digit one. */
export function accountFromArn(arn: string): string | undefined {
  const accountId = parseArn(arn)?.accountId;
  return accountId !== undefined && /^\d{12}$/.test(accountId) ? accountId : undefined;
}

/** The name after the last `/` of an ARN's resource, as prometheus-ecs-sd's extract_name_from_arn (a container id). */
export function nameFromArn(arn: string): string {
  const resource = arnResource(arn);
  return resource.slice(resource.lastIndexOf('/') + 1);
}

/** The id of a task: the last segment of its ARN, whichever of the two formats; a bare id is returned as is. */
export function taskIdFromArn(arn: string): string {
  return nameFromArn(arn);
}

/** The cluster a long-format task ARN names (`task/CLUSTER/ID`); undefined for the old format, an id or another ARN. */
export function clusterOfTaskArn(arn: string): string | undefined {
  const segments = parseArn(arn)?.resource.split('/');
  return segments?.length === 3 && segments[0] === 'task' ? segments[1] : undefined;
}

/** The name of a cluster ARN (`arn:aws:ecs:REGION:ACCOUNT:cluster/NAME`), or the input when it is a name. */
export function clusterNameFromArn(clusterArnOrName: string): string {
  const resource = parseArn(clusterArnOrName)?.resource;
  return resource?.startsWith('cluster/') ? resource.slice('cluster/'.length) : clusterArnOrName;
}

/** Family and revision of a task definition ARN (`…:task-definition/FAMILY:REVISION`). */
export function familyAndRevision(
  taskDefinitionArn: string,
): { family: string; revision: string } | undefined {
  const match = /^task-definition\/([^:/]+):(\d+)$/.exec(arnResource(taskDefinitionArn));
  if (!match) return undefined;
  return { family: match[1]!, revision: match[2]! };
}
