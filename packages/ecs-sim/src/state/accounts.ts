import type { Account, Role } from './model.ts';

/** An account with nothing in it yet. */
export function newAccount(id: string): Account {
  return {
    id,
    roles: new Map(),
    accessKeyIds: new Set(),
    clusters: new Map(),
    deletedClusters: new Map(),
    taskDefinitions: new Map(),
    ec2Instances: new Map(),
    managedInstances: new Map(),
    vpcs: new Map(),
    subnets: new Map(),
    enis: new Map(),
    queues: new Map(),
    eventsQueue: undefined,
  };
}

/** Adds an IAM role that AssumeRole accepts (with the ExternalId it then requires, if any). */
export function addRole(account: Account, name: string, externalId: string | undefined): Role {
  const role = { name, arn: `arn:aws:iam::${account.id}:role/${name}`, externalId };
  account.roles.set(name, role);
  return role;
}
