import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../src/protocols/errors.ts';
import { classify } from '../src/server/request.ts';
import { SERVICES } from '../src/server/services.ts';

const scope = (service: string): string =>
  `AWS4-HMAC-SHA256 Credential=AKIDTEST/20240101/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=x`;
const FORM = 'application/x-www-form-urlencoded; charset=utf-8';

describe('the service table', () => {
  it('tells every request apart by protocol: X-Amz-Target prefix, else Action and SigV4 scope', () => {
    const cases: {
      name: string;
      method?: string;
      headers: Record<string, string>;
      body: string;
      want: [string, string] | string;
    }[] = [
      {
        name: 'ECS JSON 1.1',
        headers: { 'x-amz-target': 'AmazonEC2ContainerServiceV20141113.ListTasks' },
        body: '{}',
        want: ['ecs', 'ListTasks'],
      },
      {
        name: 'SSM JSON 1.1',
        headers: { 'x-amz-target': 'AmazonSSM.DescribeInstanceInformation' },
        body: '{}',
        want: ['ssm', 'DescribeInstanceInformation'],
      },
      {
        name: 'SQS JSON 1.0',
        headers: { 'x-amz-target': 'AmazonSQS.ReceiveMessage' },
        body: '{}',
        want: ['sqs', 'ReceiveMessage'],
      },
      {
        name: 'EC2 Query signed for ec2',
        headers: { 'content-type': FORM, authorization: scope('ec2') },
        body: 'Action=DescribeInstances&Version=2016-11-15',
        want: ['ec2', 'DescribeInstances'],
      },
      {
        name: 'STS Query signed for sts',
        headers: { 'content-type': FORM, authorization: scope('sts') },
        body: 'Action=GetCallerIdentity&Version=2011-06-15',
        want: ['sts', 'GetCallerIdentity'],
      },
      {
        name: 'an STS action without a scope goes to STS',
        headers: { 'content-type': FORM },
        body: 'Action=AssumeRole&Version=2011-06-15',
        want: ['sts', 'AssumeRole'],
      },
      {
        name: 'an STS action signed for ec2 stays with EC2',
        headers: { 'content-type': FORM, authorization: scope('ec2') },
        body: 'Action=GetCallerIdentity',
        want: ['ec2', 'GetCallerIdentity'],
      },
      {
        name: 'an unknown action goes to EC2 (which answers InvalidAction)',
        headers: { 'content-type': FORM },
        body: 'Action=Nope',
        want: ['ec2', 'Nope'],
      },
      {
        name: 'an Action= body without a form content type',
        headers: {},
        body: 'Action=DescribeSubnets',
        want: ['ec2', 'DescribeSubnets'],
      },
      {
        name: 'an unknown X-Amz-Target prefix',
        headers: { 'x-amz-target': 'Foo.Bar' },
        body: '{}',
        want: 'unknown X-Amz-Target "Foo.Bar"',
      },
      {
        name: 'neither protocol',
        method: 'GET',
        headers: {},
        body: '',
        want: 'cannot tell the protocol of GET /x: no X-Amz-Target header and no form-encoded Action',
      },
    ];
    for (const c of cases) {
      const r = classify(SERVICES, c.method ?? 'POST', '/x', c.headers, c.body);
      const got = r instanceof ApiError ? r.message : [r.service.name, r.operation];
      assert.deepEqual(got, c.want, c.name);
    }
  });

  it('gives each service its own throttling, unavailable, internal and access-denied errors', () => {
    const shape = (e: ApiError): string => `${e.status} ${e.code}${e.queryCode ? ` (${e.queryCode})` : ''}`;
    const got = Object.fromEntries(
      SERVICES.map((s) => [
        s.name,
        [
          shape(s.errors.throttled()),
          shape(s.errors.unavailable()),
          shape(s.errors.internal()),
          shape(s.errors.accessDenied('Op', 'arn:aws:iam::123456789012:user/u')),
        ],
      ]),
    );
    assert.deepEqual(got, {
      ecs: [
        '400 ThrottlingException',
        '503 ServiceUnavailableException',
        '500 ServerException',
        '400 AccessDeniedException',
      ],
      ssm: [
        '400 ThrottlingException',
        '503 ServiceUnavailableException',
        '500 InternalServerError',
        '400 AccessDeniedException',
      ],
      sqs: [
        '400 ThrottlingException (Throttling)',
        '503 ServiceUnavailableException (ServiceUnavailable)',
        '500 InternalServerError (InternalError)',
        '403 AccessDeniedException (AccessDenied)',
      ],
      ec2: ['503 RequestLimitExceeded', '503 Unavailable', '500 InternalError', '403 UnauthorizedOperation'],
      sts: ['400 Throttling', '503 ServiceUnavailable', '500 InternalFailure', '403 AccessDenied'],
    });
    const denied = SERVICES[0]!.errors.accessDenied('ListTasks', 'arn:aws:iam::123456789012:user/u');
    assert.equal(
      denied.message,
      'User: arn:aws:iam::123456789012:user/u is not authorized to perform: ecs:ListTasks because no identity-based policy allows the ecs:ListTasks action',
    );
  });

  it('throttles ECS, EC2 and SSM by their published categories and never SQS or STS', () => {
    const category = (name: string, op: string, input: Record<string, unknown> | Map<string, string> = {}) =>
      SERVICES.find((s) => s.name === name)!.throttleCategory(op, input);
    assert.equal(category('ecs', 'DescribeTasks'), 'ecs-cluster-resource-read');
    assert.equal(category('ecs', 'RunTask'), 'ecs-mutate');
    assert.equal(
      category('ec2', 'DescribeInstances', new Map([['Action', 'DescribeInstances']])),
      'ec2-describe-unfiltered',
    );
    assert.equal(category('ec2', 'DescribeInstances', new Map([['InstanceId.1', 'i-1']])), 'ec2-describe');
    assert.equal(category('ssm', 'DescribeInstanceInformation'), 'ssm-read');
    assert.equal(category('sqs', 'ReceiveMessage'), undefined);
    assert.equal(category('sts', 'AssumeRole', new Map()), undefined);
  });
});
