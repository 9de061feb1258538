/** The one ARN parser and the ECS resources read from ARNs: task ids, clusters, accounts, task definition revisions. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  accountFromArn,
  clusterNameFromArn,
  clusterOfTaskArn,
  familyAndRevision,
  nameFromArn,
  parseArn,
  taskIdFromArn,
} from '../../src/lib/arn.ts';

describe('parseArn', () => {
  it('splits an ARN into partition, service, Region, account and resource (colons in the resource kept)', () => {
    assert.deepEqual(parseArn('arn:aws-cn:ecs:cn-north-1:123456789012:task-definition/web:3'), {
      partition: 'aws-cn',
      service: 'ecs',
      region: 'cn-north-1',
      accountId: '123456789012',
      resource: 'task-definition/web:3',
    });
  });
  it('is undefined for a name, an id or a text with too few parts', () => {
    for (const text of [
      'prod',
      '0123456789abcdef',
      'arn:aws:ecs:eu-west-1:123456789012',
      'x:aws:ecs:r:1:task/a',
    ])
      assert.equal(parseArn(text), undefined, text);
  });
});

describe('taskIdFromArn', () => {
  const cases: [string, string][] = [
    [
      'arn:aws:ecs:eu-west-1:123456789012:task/prod/0123456789abcdef0123456789abcdef',
      '0123456789abcdef0123456789abcdef',
    ],
    [
      'arn:aws:ecs:eu-west-1:123456789012:task/7f2b1c9e-1111-2222-3333-444455556666',
      '7f2b1c9e-1111-2222-3333-444455556666',
    ],
    ['arn:aws-cn:ecs:cn-north-1:123456789012:task/my-cluster/abc', 'abc'],
    ['abc123', 'abc123'],
  ];
  for (const [arn, id] of cases) {
    it(`gives ${id} for ${arn}`, () => assert.equal(taskIdFromArn(arn), id));
  }
});

describe('clusters and accounts of ARNs', () => {
  it('names the cluster of a cluster ARN, and passes a name through', () => {
    assert.equal(clusterNameFromArn('arn:aws:ecs:eu-west-1:123456789012:cluster/prod'), 'prod');
    assert.equal(clusterNameFromArn('prod'), 'prod');
    assert.equal(
      clusterNameFromArn('arn:aws:ecs:eu-west-1:123456789012:service/prod/web'),
      'arn:aws:ecs:eu-west-1:123456789012:service/prod/web',
    );
  });
  it('names the cluster of a long task ARN only', () => {
    assert.equal(clusterOfTaskArn('arn:aws:ecs:eu-west-1:123456789012:task/prod/0123456789abcdef'), 'prod');
    assert.equal(clusterOfTaskArn('arn:aws:ecs:eu-west-1:123456789012:task/0123456789abcdef'), undefined);
    assert.equal(clusterOfTaskArn('0123456789abcdef'), undefined);
  });
  it('reads a 12-digit account id, nothing else', () => {
    assert.equal(accountFromArn('arn:aws:ecs:eu-west-1:123456789012:cluster/prod'), '123456789012');
    assert.equal(accountFromArn('arn:aws:ecs:eu-west-1::cluster/prod'), undefined);
    assert.equal(accountFromArn('arn:aws:ecs:eu-west-1:1234:cluster/prod'), undefined);
    assert.equal(accountFromArn('prod'), undefined);
  });
  it('names the last segment of a container ARN, as prometheus-ecs-sd does', () => {
    assert.equal(nameFromArn('arn:aws:ecs:eu-west-1:123456789012:container/prod/abc/def-1'), 'def-1');
  });
});

describe('familyAndRevision', () => {
  it('splits a task definition ARN', () => {
    assert.deepEqual(familyAndRevision('arn:aws:ecs:eu-west-1:123456789012:task-definition/api-v2:13'), {
      family: 'api-v2',
      revision: '13',
    });
    assert.equal(familyAndRevision('not-an-arn'), undefined);
  });
});
