/** The `rate_budget` config keys: defaults, per-category overrides, and problems reported with the value. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../../src/config/load.ts';

test('rate_budget defaults to half of AWS buckets with no overrides', () => {
  assert.deepEqual(loadConfig({ fileText: '' }).rateBudget, { scale: 0.5, overrides: {} });
});

test('rate_budget takes a scale and per-category burst and refill_per_second', () => {
  const config = loadConfig({
    fileText:
      'rate_budget: { scale: 0.25, ecs_cluster_resource_read: { refill_per_second: 3 }, sts: { burst: 2 } }',
  });
  assert.deepEqual(config.rateBudget, {
    scale: 0.25,
    overrides: { ecs_cluster_resource_read: { refillPerSecond: 3 }, sts: { burst: 2 } },
  });
});

test('rate_budget problems name the key, the value and what was expected', () => {
  assert.throws(
    () =>
      loadConfig({
        fileText: 'rate_budget: { scale: 0.01, ecs_tag_read: { burst: 0 }, ec2_everything: {} }',
      }),
    (error: Error) => {
      assert.match(error.message, /rate_budget\.ecs_tag_read\.burst: /);
      assert.match(error.message, /ec2_everything/);
      return true;
    },
  );
  assert.throws(
    () => loadConfig({ fileText: 'rate_budget: { scale: 0.01 }' }),
    /rate_budget\.scale: 0\.01 leaves ecs_cluster_read a burst of 0\.5, expected a scale giving at least 1 token/,
  );
});
