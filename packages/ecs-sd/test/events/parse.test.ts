import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MAX_BODY_BYTES, MAX_EVENT_BYTES, REJECT_REASONS } from '../../src/events/event-limits.ts';
import { nestsDeeperThan, type ParseResult, parseMessage, previewBody } from '../../src/events/parse.ts';
import {
  CI,
  CLUSTER,
  deepArrays,
  envelope,
  instanceDetail,
  poisonBodies,
  snsBody,
  TASK,
  taskBody,
  taskBodyWithRaw,
  taskDetail,
} from './fixtures.ts';

function ok(result: ParseResult) {
  assert.ok(result.ok, `expected an event, got ${result.ok ? '' : `${result.reason}: ${result.message}`}`);
  return result.event;
}

function rejected(result: ParseResult) {
  assert.ok(!result.ok, 'expected a rejection, got an event');
  return result;
}

describe('parseMessage: task events', () => {
  test('turns a Task State Change into the Task shape DescribeTasks gives, dates as Date objects', () => {
    const event = ok(parseMessage(taskBody()));
    assert.equal(event.kind, 'task');
    assert.ok(event.kind === 'task');
    assert.equal(event.taskArn, TASK);
    assert.equal(event.clusterArn, CLUSTER);
    assert.equal(event.version, 3);
    assert.equal(event.id, '9bcdac79-b31f-4d3d-9410-fbd727c29fab');
    assert.deepEqual(event.time, new Date('2020-01-23T17:57:58Z'));
    assert.deepEqual(event.updatedAt, new Date('2020-01-23T17:57:58.103Z'));
    assert.equal(event.viaSns, false);
    const task = event.task;
    assert.ok(task.createdAt instanceof Date);
    assert.equal(task.createdAt.toISOString(), '2020-01-23T17:57:34.402Z');
    for (const key of ['connectivityAt', 'pullStartedAt', 'pullStoppedAt', 'startedAt'] as const) {
      assert.ok(task[key] instanceof Date, `${key} is a Date`);
    }
    assert.ok(task.containers?.[0]?.managedAgents?.[0]?.lastStartedAt instanceof Date);
    assert.equal(task.version, 3);
    assert.equal(task.lastStatus, 'RUNNING');
    assert.equal(task.containers?.[0]?.networkInterfaces?.[0]?.privateIpv4Address, '10.0.0.139');
    assert.equal(task.attachments?.[0]?.details?.[3]?.value, '10.0.0.139');
  });

  test('drops members the SDK Task has no place for, such as updatedAt', () => {
    const task = ok(parseMessage(taskBody({ somethingNew: 1 })));
    assert.ok(task.kind === 'task');
    assert.equal('updatedAt' in task.task, false);
    assert.equal('somethingNew' in task.task, false);
  });

  test('unwraps an SNS notification around the EventBridge envelope', () => {
    const sns = {
      Type: 'Notification',
      MessageId: 'x',
      TopicArn: 'arn:aws:sns:us-east-1:1:t',
      Message: taskBody(),
    };
    const event = ok(parseMessage(JSON.stringify(sns)));
    assert.equal(event.viaSns, true);
    assert.equal(event.version, 3);
  });

  test('an envelope without time still parses, with time undefined', () => {
    const event = ok(
      parseMessage(JSON.stringify(envelope('ECS Task State Change', taskDetail(), { time: 'soon' }))),
    );
    assert.equal(event.time, undefined);
  });
});

describe('parseMessage: container instance events', () => {
  test('turns a Container Instance State Change into a ContainerInstance', () => {
    const event = ok(
      parseMessage(JSON.stringify(envelope('ECS Container Instance State Change', instanceDetail()))),
    );
    assert.ok(event.kind === 'container-instance');
    assert.equal(event.containerInstanceArn, CI);
    assert.equal(event.clusterArn, CLUSTER);
    assert.equal(event.version, 14801);
    assert.equal(event.containerInstance.ec2InstanceId, 'i-0c3f7aa6a0b0f5a1b');
    assert.ok(event.containerInstance.registeredAt instanceof Date);
    assert.equal('clusterArn' in event.containerInstance, false);
  });
});

describe('parseMessage: rejections name the reason and what was received', () => {
  const cases: [string, string | undefined, string, RegExp][] = [
    ['an empty body', '', 'empty-body', /empty/],
    ['no body', undefined, 'empty-body', /empty/],
    ['text', 'hello', 'not-json', /"hello" is not JSON/],
    ['a JSON array', '[1]', 'not-an-object', /\[1\]/],
    [
      'an S3 event',
      JSON.stringify({ source: 'aws.s3', 'detail-type': 'Object Created' }),
      'not-ecs-event',
      /"aws.s3"/,
    ],
    ['a bare task', JSON.stringify(taskDetail()), 'not-ecs-event', /source is undefined/],
    [
      'an ECS Service Action',
      JSON.stringify(envelope('ECS Service Action', {})),
      'unknown-detail-type',
      /"ECS Service Action"/,
    ],
    [
      'a task event without detail',
      JSON.stringify(envelope('ECS Task State Change', null)),
      'missing-fields',
      /detail/,
    ],
    [
      'a task event without taskArn and version',
      JSON.stringify(
        envelope('ECS Task State Change', taskDetail({ taskArn: undefined, version: undefined })),
      ),
      'missing-fields',
      /detail\.taskArn, detail\.version/,
    ],
    ['a task event without clusterArn', taskBody({ clusterArn: '' }), 'missing-fields', /detail\.clusterArn/],
    [
      'a string version',
      taskBody({ version: '3' }),
      'invalid-fields',
      /detail\.version is "3", expected a non-negative integer/,
    ],
    ['a negative version', taskBody({ version: -1 }), 'invalid-fields', /-1/],
    [
      'a bad timestamp',
      taskBody({ startedAt: 'yesterday' }),
      'invalid-fields',
      /detail\.startedAt is "yesterday"/,
    ],
    [
      'an SNS notification whose Message is not JSON',
      JSON.stringify({ Type: 'Notification', Message: 'oops' }),
      'not-json',
      /sns Message "oops"/,
    ],
  ];
  for (const [name, body, reason, message] of cases) {
    test(`${name} → ${reason}`, () => {
      const r = rejected(parseMessage(body));
      assert.equal(r.reason, reason);
      assert.match(r.message, message);
      assert.ok(REJECT_REASONS.includes(r.reason));
    });
  }

  test('a long body is shortened in the message', () => {
    const r = rejected(parseMessage('x'.repeat(10_000)));
    assert.ok(r.message.length < 200, r.message);
  });
});

describe('parseMessage: poison bodies are rejected with a reason, never thrown', () => {
  for (const poison of poisonBodies()) {
    test(`${poison.name} → ${poison.reason}`, () => {
      assert.ok(poison.body.length < MAX_EVENT_BYTES, 'the body fits SQS’s default 256 KiB');
      const r = rejected(parseMessage(poison.body));
      assert.equal(r.reason, poison.reason, r.message);
      assert.match(r.message, poison.message);
      assert.ok(REJECT_REASONS.includes(r.reason));
      assert.ok(r.message.length < 400, `the message is bounded: ${r.message.length} characters`);
    });
  }

  const big: [string, string, string, RegExp][] = [
    [
      'a 300,000-byte event',
      taskBody({ somethingNew: 'x'.repeat(300_000) }),
      'too-large',
      /message body is 30\d{4} bytes, expected at most 262144/,
    ],
    [
      'a 300,000-byte event of multi-byte characters, 100,000 of them',
      taskBody({ somethingNew: '\u20ac'.repeat(100_000) }),
      'too-large',
      /message body is 30\d{4} bytes/,
    ],
    [
      'a body over 1 MiB',
      JSON.stringify({ Type: 'Notification', Message: 'x'.repeat(MAX_BODY_BYTES) }),
      'too-large',
      /message body is 10\d{5} bytes, expected at most 1048576/,
    ],
    [
      'an SNS Message over 256 KiB',
      snsBody(taskBody({ somethingNew: 'x'.repeat(300_000) })),
      'too-large',
      /sns Message is 30\d{4} bytes, expected at most 262144/,
    ],
    ['lists nested 500,000 deep (1 MB)', deepArrays(500_000), 'too-deep', /deeper than 32/],
    [
      'a raw lone surrogate in detail.group',
      taskBody({ group: 'web\ud800' }),
      'invalid-fields',
      /detail\.group .* lone surrogate/,
    ],
  ];
  for (const [name, body, reason, message] of big) {
    test(`${name} → ${reason}`, () => {
      const r = rejected(parseMessage(body));
      assert.equal(r.reason, reason, r.message);
      assert.match(r.message, message);
    });
  }

  test('prototype pollution keys leave Object.prototype untouched', () => {
    for (const poison of poisonBodies().filter((p) => /__proto__|constructor/.test(p.name))) {
      parseMessage(poison.body);
    }
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
    assert.equal(Object.hasOwn(Object.prototype, 'polluted'), false);
  });

  test('the nesting bound is exact: 32 deep parses, 33 deep is too deep', () => {
    const at = (depth: number) => taskBodyWithRaw('somethingNew', deepArrays(depth - 2));
    ok(parseMessage(at(32)));
    assert.equal(rejected(parseMessage(at(33))).reason, 'too-deep');
  });

  test('a large member ecs-sd does not read is dropped, not kept', () => {
    const event = ok(parseMessage(taskBody({ somethingNew: 'x'.repeat(200_000) })));
    assert.ok(event.kind === 'task');
    assert.equal('somethingNew' in event.task, false);
  });

  test('a null member counts as absent, as the SDK reads it', () => {
    const event = ok(parseMessage(taskBody({ group: null, stoppedReason: null })));
    assert.ok(event.kind === 'task');
    assert.equal('group' in event.task, false);
  });

  test('a bridge task keeps its network bindings as numbers, and unknown members of a container are dropped', () => {
    const detail = taskDetail();
    const [container] = detail['containers'] as Record<string, unknown>[];
    const body = JSON.stringify(
      envelope('ECS Task State Change', {
        ...detail,
        containers: [
          {
            ...container,
            exitCode: 0,
            networkBindings: [{ bindIP: '0.0.0.0', containerPort: 8080, hostPort: 32768, protocol: 'tcp' }],
            somethingNew: { deep: [1] },
          },
        ],
      }),
    );
    const event = ok(parseMessage(body));
    assert.ok(event.kind === 'task');
    const parsed = event.task.containers?.[0];
    assert.deepEqual(parsed?.networkBindings, [
      { bindIP: '0.0.0.0', containerPort: 8080, hostPort: 32768, protocol: 'tcp' },
    ]);
    assert.equal(parsed?.exitCode, 0);
    assert.equal('somethingNew' in (parsed ?? {}), false);
  });
});

describe('nestsDeeperThan and previewBody', () => {
  test('brackets inside strings, escaped quotes included, do not count', () => {
    assert.equal(nestsDeeperThan('[[1]]', 2), false);
    assert.equal(nestsDeeperThan('[[[1]]]', 2), true);
    assert.equal(nestsDeeperThan(JSON.stringify(['[[[[[[', '\\"{{{{{{']), 1), false);
    assert.equal(nestsDeeperThan(JSON.stringify({ a: '"]]]]' }) + '[[[', 2), true);
  });

  test('a preview is the first characters of the raw body, never more', () => {
    const body = deepArrays(100_000);
    assert.equal(previewBody(body, 10), '[[[[[[[[[[...');
    assert.equal(previewBody('short'), 'short');
    assert.equal(previewBody(undefined), '');
    assert.ok(previewBody(body).length <= 203);
  });
});
