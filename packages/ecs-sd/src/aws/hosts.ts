/**
 * The hosts tasks run on: EC2 DescribeInstances for `i-…` ids (100 per call) and SSM
 * DescribeInstanceInformation for ECS Anywhere `mi-…` ids (50 per page). I/O only, no cache; the
 * EC2 and SSM SDK modules load on first use (a Fargate-only fleet never needs them).
 */
import type { Instance } from '@aws-sdk/client-ec2';
import type { Logger } from 'pino';
import type { HostInfo } from '../discovery/types.ts';
import { AwsReadError } from '../errors.ts';
import { DESCRIBE_INSTANCE_INFORMATION_PAGE_SIZE, DESCRIBE_INSTANCES_IDS_MAX } from '../lib/aws-limits.ts';
import { chunk } from '../lib/batch.ts';
import { ec2Sdk, ssmSdk } from '../lib/sdk.ts';
import { awsCall, errorName, sendOptions, type What } from './calls.ts';
import type { SourceClients } from './clients.ts';

/** The host of an EC2 instance, as the snapshot carries it. */
export function hostFromEc2(instance: Instance): HostInfo {
  const tags: Record<string, string> = {};
  for (const tag of instance.Tags ?? []) if (tag.Key !== undefined) tags[tag.Key] = tag.Value ?? '';
  const host: HostInfo = { ec2InstanceId: instance.InstanceId!, source: 'ec2', tags };
  if (instance.PrivateIpAddress !== undefined) host.privateIpAddress = instance.PrivateIpAddress;
  const ipv6 =
    instance.Ipv6Address ??
    instance.NetworkInterfaces?.flatMap((eni) => eni.Ipv6Addresses ?? [])[0]?.Ipv6Address;
  if (ipv6 !== undefined) host.ipv6Address = ipv6;
  if (instance.PublicIpAddress !== undefined) host.publicIpAddress = instance.PublicIpAddress;
  if (instance.InstanceType !== undefined) host.instanceType = instance.InstanceType;
  if (instance.Placement?.AvailabilityZone !== undefined)
    host.availabilityZone = instance.Placement.AvailabilityZone;
  if (instance.SubnetId !== undefined) host.subnetId = instance.SubnetId;
  return host;
}

/** Reads these hosts: `i-…` through EC2, `mi-…` through SSM; ids neither knows are left out. Throws AwsReadError. */
export async function describeHosts(
  clients: SourceClients,
  ids: readonly string[],
  what: What,
  log: Logger,
  signal?: AbortSignal,
): Promise<HostInfo[]> {
  const ec2Ids = ids.filter((id) => !id.startsWith('mi-'));
  const ssmIds = ids.filter((id) => id.startsWith('mi-'));
  const found: HostInfo[] = [];
  for (const batch of chunk(ec2Ids, DESCRIBE_INSTANCES_IDS_MAX))
    found.push(...(await describeInstances(clients, batch, what, log, signal)));
  for (const batch of chunk(ssmIds, DESCRIBE_INSTANCE_INFORMATION_PAGE_SIZE))
    found.push(...(await describeInstanceInformation(clients, batch, what, signal)));
  return found;
}

/** DescribeInstances by InstanceIds; one unknown id fails the whole call, so then each id is read alone. */
async function describeInstances(
  clients: SourceClients,
  ids: readonly string[],
  what: What,
  log: Logger,
  signal: AbortSignal | undefined,
): Promise<HostInfo[]> {
  const { DescribeInstancesCommand } = ec2Sdk();
  const ec2 = await clients.ec2();
  const read = async (batch: readonly string[]) => {
    const hosts: HostInfo[] = [];
    let nextToken: string | undefined;
    do {
      const output = await ec2.send(
        new DescribeInstancesCommand({
          InstanceIds: [...batch],
          ...(nextToken ? { NextToken: nextToken } : {}),
        }),
        sendOptions(signal),
      );
      for (const reservation of output.Reservations ?? []) {
        for (const instance of reservation.Instances ?? []) {
          if (instance.InstanceId !== undefined) hosts.push(hostFromEc2(instance));
        }
      }
      nextToken = output.NextToken;
    } while (nextToken);
    return hosts;
  };
  try {
    return await read(ids);
  } catch (error) {
    if (!errorName(error).startsWith('InvalidInstanceID'))
      throw new AwsReadError(what('describe instances'), error, 'DescribeInstances');
  }
  const hosts: HostInfo[] = [];
  for (const id of ids) {
    try {
      hosts.push(...(await read([id])));
    } catch (error) {
      if (!errorName(error).startsWith('InvalidInstanceID'))
        throw new AwsReadError(what('describe instances'), error, 'DescribeInstances');
      log.debug({ ec2InstanceId: id }, 'ec2 instance not found');
    }
  }
  return hosts;
}

/** SSM DescribeInstanceInformation of ECS Anywhere hosts, filtered by these ids. */
async function describeInstanceInformation(
  clients: SourceClients,
  ids: readonly string[],
  what: What,
  signal: AbortSignal | undefined,
): Promise<HostInfo[]> {
  const found: HostInfo[] = [];
  await awsCall('DescribeInstanceInformation', what('describe instance information'), async () => {
    const { paginateDescribeInstanceInformation } = ssmSdk();
    const ssm = await clients.ssm();
    for await (const page of paginateDescribeInstanceInformation(
      { client: ssm, pageSize: DESCRIBE_INSTANCE_INFORMATION_PAGE_SIZE },
      { Filters: [{ Key: 'InstanceIds', Values: [...ids] }] },
      sendOptions(signal),
    )) {
      for (const info of page.InstanceInformationList ?? []) {
        if (info.InstanceId === undefined) continue;
        const host: HostInfo = { ec2InstanceId: info.InstanceId, source: 'ssm', tags: {} };
        if (info.IPAddress !== undefined) {
          if (info.IPAddress.includes(':')) host.ipv6Address = info.IPAddress;
          else host.privateIpAddress = info.IPAddress;
        }
        found.push(host);
      }
    }
  });
  return found;
}
