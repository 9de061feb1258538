/** The `timeouts` config keys: defaults, Prometheus durations, bounds, every problem at once. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AWS_REQUEST_TIMEOUT_MS, CLUSTER_REFRESH_TIMEOUT_MS } from '../../src/aws/timeouts.ts';
import { loadConfig } from '../../src/config/load.ts';
import { ConfigError } from '../../src/errors.ts';

function problems(fileText: string): string[] {
  try {
    loadConfig({ fileText });
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
    return [...error.problems];
  }
  assert.fail('expected the config to be rejected');
}

describe('timeouts', () => {
  test('default to 10s per attempt and 5m per cluster read', () => {
    assert.deepEqual(loadConfig().timeouts, { awsRequestMs: 10_000, clusterRefreshMs: 300_000 });
    assert.equal(AWS_REQUEST_TIMEOUT_MS, 10_000);
    assert.equal(CLUSTER_REFRESH_TIMEOUT_MS, 300_000);
  });

  test('take Prometheus durations and seconds', () => {
    const config = loadConfig({ fileText: 'timeouts: { aws_request: 2500ms, cluster_refresh: 1m30s }' });
    assert.deepEqual(config.timeouts, { awsRequestMs: 2500, clusterRefreshMs: 90_000 });
    assert.deepEqual(loadConfig({ fileText: 'timeouts: { aws_request: 3 }' }).timeouts.awsRequestMs, 3000);
  });

  test('reject values out of range, non-durations and unknown keys, all at once', () => {
    assert.deepEqual(
      problems('timeouts: { aws_request: 50ms, cluster_refresh: 2h, connect: 1s }'),
      [
        'timeouts.aws_request: "50ms" is too short, expected at least 100ms',
        'timeouts.cluster_refresh: "2h" is too long, expected at most 1h',
        'timeouts.connect: unknown key, expected one of aws_request, cluster_refresh',
      ].sort(),
    );
    assert.deepEqual(problems('timeouts: { aws_request: soon }'), [
      'timeouts.aws_request: "soon" is not a duration, expected e.g. 30s, 1m, 1h30m or a number of seconds',
    ]);
  });
});
