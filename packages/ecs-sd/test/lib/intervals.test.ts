/** The interval buckets of the per-interval file layout and the names of their files. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  bucketFor,
  fileSdPathProblem,
  INTERVALS,
  intervalFileName,
  parseInterval,
} from '../../src/lib/intervals.ts';

describe('interval buckets', () => {
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

describe('file names', () => {
  it('names one file per bucket, JSON or YAML', () => {
    assert.deepEqual(
      INTERVALS.map((interval) => intervalFileName(interval)),
      ['15s-tasks.json', '30s-tasks.json', '1m-tasks.json', '5m-tasks.json'],
    );
    assert.equal(intervalFileName('1m', 'yaml'), '1m-tasks.yml');
  });
  it('accepts a single file only with an extension Prometheus parses for its format', () => {
    assert.equal(fileSdPathProblem('/sd/all.json', 'json'), undefined);
    assert.equal(fileSdPathProblem('/sd/all.YAML', 'yaml'), undefined);
    assert.equal(
      fileSdPathProblem('/sd/all.json', 'yaml'),
      'file_sd file "/sd/all.json" does not end in .yml or .yaml, expected for format yaml',
    );
    assert.equal(
      fileSdPathProblem('/sd.d/targets', 'json'),
      'file_sd file "/sd.d/targets" does not end in .json, expected for format json',
    );
  });
});
