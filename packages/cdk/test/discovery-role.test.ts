import assert from 'node:assert/strict';
import { test } from 'node:test';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { DISCOVERY_IAM_ACTIONS } from 'ecs-sd/iam';
import { DiscoveryRole } from '../src/index.ts';

const trusted = 'arn:aws:iam::111111111111:role/monitoring-PrometheusATaskRole';
const app = new App();
const stack = new Stack(app, 'Monitored', { env: { account: '222222222222', region: 'eu-west-1' } });
new DiscoveryRole(stack, 'EcsSd', {
  trustedRoleArns: [trusted],
  externalId: 'ecs-sd',
  roleName: 'ecs-sd-discovery',
});
const template = Template.fromStack(stack);

test('the cross-account role trusts only the given task role, with the ExternalId', () => {
  template.hasResourceProperties('AWS::IAM::Role', {
    RoleName: 'ecs-sd-discovery',
    AssumeRolePolicyDocument: {
      Statement: [
        {
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          Principal: { AWS: trusted },
          Condition: { StringEquals: { 'sts:ExternalId': 'ecs-sd' } },
        },
      ],
    },
  });
});

test('the cross-account role may do exactly what ecs-sd declares', () => {
  template.resourceCountIs('AWS::IAM::Policy', 1);
  template.hasResourceProperties('AWS::IAM::Policy', {
    PolicyDocument: {
      Statement: [{ Sid: 'Discovery', Effect: 'Allow', Action: [...DISCOVERY_IAM_ACTIONS], Resource: '*' }],
    },
  });
});

test('a role nobody may assume is refused', () => {
  assert.throws(
    () => new DiscoveryRole(new Stack(new App(), 'Empty'), 'EcsSd', { trustedRoleArns: [] }),
    /trustedRoleArns is empty, expected at least one task role ARN/,
  );
});
