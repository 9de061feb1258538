/** ARN parsing for ECS resources; both the current (`task/CLUSTER/ID`) and the old (`task/ID`) formats exist. */

/** The id of a task: the last path segment of its ARN, whichever of the two ARN formats it uses. */
export function taskIdFromArn(arn: string): string {
  const resource = arnResource(arn);
  const slash = resource.lastIndexOf('/');
  return slash === -1 ? resource : resource.slice(slash + 1);
}

/** The resource part of an ARN (after the fifth colon), or the whole string when it is not an ARN. */
export function arnResource(arn: string): string {
  const parts = arn.split(':');
  return parts.length >= 6 ? parts.slice(5).join(':') : arn;
}

/** The account id of an ARN (`arn:aws:ecs:REGION:ACCOUNT:…`), undefined when it has none. */
export function accountFromArn(arn: string): string | undefined {
  const account = arn.split(':')[4];
  return account !== undefined && /^\d{12}$/.test(account) ? account : undefined;
}

/** Family and revision of a task definition ARN (`…:task-definition/FAMILY:REVISION`). */
export function familyAndRevision(
  taskDefinitionArn: string,
): { family: string; revision: string } | undefined {
  const match = /task-definition\/([^:/]+):(\d+)$/.exec(taskDefinitionArn);
  if (!match) return undefined;
  return { family: match[1]!, revision: match[2]! };
}

/** The name after the last `/` of an ARN, as prometheus-ecs-sd's extract_name_from_arn does (cluster name, container id). */
export function nameFromArn(arn: string): string {
  return taskIdFromArn(arn);
}
