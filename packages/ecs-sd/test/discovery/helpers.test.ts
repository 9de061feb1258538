import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  bucketFor,
  familyAndRevision,
  parseDuration,
  parseInterval,
  parsePort,
  sanitizeLabelName,
  taskIdFromArn,
} from '../../src/discovery/index.ts';

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

describe('sanitizeLabelName', () => {
  const cases: [string, string][] = [
    ['aws:autoscaling:groupName', 'aws_autoscaling_groupName'],
    ['com.example/team-name', 'com_example_team_name'],
    ['Already_OK_1', 'Already_OK_1'],
    ['ünïcode key', '_n_code_key'],
  ];
  for (const [name, want] of cases)
    it(`turns ${name} into ${want}`, () => assert.equal(sanitizeLabelName(name), want));
});

describe('durations and interval buckets', () => {
  const durations: [string, number | undefined][] = [
    ['15s', 15_000],
    ['1m30s', 90_000],
    ['250ms', 250],
    ['2h', 7_200_000],
    ['0s', undefined],
    ['1.5m', undefined],
    ['fast', undefined],
    ['', undefined],
    ['0', undefined],
    ['292y', 9_208_512_000_000],
    ['293y', undefined],
    ['300000y', undefined],
    ['292y24w3d23h47m16s854ms', 9_223_372_036_854],
    ['292y24w3d23h47m16s855ms', undefined],
    [`${'9'.repeat(60_000)}s`, undefined],
    ['000000000000000000000015s', 15_000],
  ];
  for (const [text, ms] of durations)
    it(`parses ${JSON.stringify(text.length > 40 ? `${text.slice(0, 20)}…` : text)} as ${ms}`, () =>
      assert.equal(parseDuration(text), ms));

  const buckets: [number, string][] = [
    [5_000, '15s'],
    [15_000, '15s'],
    [29_999, '15s'],
    [45_000, '30s'],
    [60_000, '1m'],
    [120_000, '1m'],
    [300_000, '5m'],
    [3_600_000, '5m'],
  ];
  for (const [ms, bucket] of buckets)
    it(`puts ${ms}ms in the ${bucket} bucket`, () => assert.equal(bucketFor(ms), bucket));

  it('accepts only the four bucket names as intervals', () => {
    assert.deepEqual(['15s', '30s', '1m', '5m', '2m', '60s'].map(parseInterval), [
      '15s',
      '30s',
      '1m',
      '5m',
      undefined,
      undefined,
    ]);
  });
});

describe('parsePort and familyAndRevision', () => {
  it('accepts decimal ports 1-65535 only', () => {
    assert.deepEqual(['9100', ' 80 ', '0', '65536', '91OO', '-1', '0x50', ''].map(parsePort), [
      9100,
      80,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });
  it('splits a task definition ARN', () => {
    assert.deepEqual(familyAndRevision('arn:aws:ecs:eu-west-1:123456789012:task-definition/api-v2:13'), {
      family: 'api-v2',
      revision: '13',
    });
    assert.equal(familyAndRevision('not-an-arn'), undefined);
  });
});
