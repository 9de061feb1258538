/** The pools and ha sections: what they compile to, and every problem in one run, one line each. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config/load.ts';
import { ConfigError } from '../../src/errors.ts';

function problems(file: unknown): readonly string[] {
  try {
    loadConfig({ fileText: JSON.stringify(file) });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  assert.fail('expected a ConfigError');
}

describe('pools and ha in the config', () => {
  it('compiles a pool with its defaults, and ha.replicas divides the rate budget', () => {
    const config = loadConfig({
      fileText: JSON.stringify({
        sources: [{ name: 'main', region: 'eu-west-1', clusters: ['web', 'monitoring'] }],
        ha: { replicas: 2 },
        rate_budget: { scale: 0.5, sts: { burst: 8 } },
        pools: [
          {
            name: 'agents',
            members: {
              ecs: { source: 'main', cluster: 'monitoring', family: 'prometheus-agent' },
              static: ['a', 'a'],
            },
            targets: { job: ['web'], interval: ['15s'] },
          },
        ],
      }),
    });
    assert.deepEqual(config.pools, [
      {
        name: 'agents',
        ecs: { source: 'main', cluster: 'monitoring', family: 'prometheus-agent' },
        staticMembers: ['a'],
        replication: 1,
        targets: { jobs: ['web'], intervals: ['15s'] },
      },
    ]);
    assert.deepEqual(config.ha, { replicas: 2 });
    assert.deepEqual(config.rateBudget, { scale: 0.25, overrides: { sts: { burst: 4 } } });
    const plain = loadConfig({ fileText: '{}' });
    assert.deepEqual([plain.pools, plain.ha, plain.rateBudget.scale], [[], { replicas: 1 }, 0.5]);
  });

  it('the only source is the members source when none is named, and one reading every cluster reads the members cluster', () => {
    const config = loadConfig({
      fileText: JSON.stringify({
        sources: [{ name: 'only', region: 'eu-west-1' }],
        pools: [
          { name: 'p', members: { ecs: { cluster: 'monitoring', service: 'agents' } }, replication: 2 },
        ],
      }),
    });
    assert.deepEqual(config.pools[0]!.ecs, { source: 'only', cluster: 'monitoring', service: 'agents' });
  });

  it('reports every problem of the pools at once, naming key, value and expectation', () => {
    assert.deepEqual(
      problems({
        sources: [
          { name: 'main', region: 'eu-west-1', clusters: ['web'] },
          { name: 'other', region: 'eu-west-1', cluster_include: 'prod-.*' },
        ],
        pools: [
          { name: 'agents', members: { ecs: { source: 'main', cluster: 'monitoring', family: 'f' } } },
          { name: 'agents', members: { ecs: { source: 'nope', cluster: 'x', family: 'f' } } },
          { name: 'bad name', members: { static: [] }, replication: 0 },
          { name: 'both', members: { ecs: { cluster: 'prod-x', family: 'f', service: 's' } } },
          { name: 'filtered', members: { ecs: { source: 'other', cluster: 'dev-x', family: 'f' } } },
        ],
      }),
      [
        'pools[2].name: got "bad name", expected letters, digits, _ and -',
        'pools[2].replication: got 0, expected at least 1 member per target',
        'pools[2].members: pool "bad name" has no members, expected members.ecs and/or a members.static list',
        'pools[3].members.ecs: members.ecs names both family and service, expected exactly one of them',
        'pools[0].members.ecs.cluster: "monitoring" is not read by source "main", expected a cluster the source reads (add it to its clusters, or widen cluster_include/cluster_exclude)',
        'pools[1].name: pool name "agents" is also used by pools[0], expected unique names',
        'pools[1].members.ecs.source: "nope" is not a configured source, expected one of "main", "other"',
        'pools[3].members.ecs.source: nothing given while 2 sources are configured, expected the name of the source that reads the members\' cluster (one of "main", "other")',
        'pools[4].members.ecs.cluster: "dev-x" is not read by source "other", expected a cluster the source reads (add it to its clusters, or widen cluster_include/cluster_exclude)',
      ],
    );
  });

  it('ha.replicas is 1 to 10, and refused when its share of a bucket is below one token', () => {
    assert.deepEqual(problems({ ha: { replicas: 11 } }), ['ha.replicas: got 11, expected at most 10']);
    assert.deepEqual(problems({ ha: { replicas: 4 }, rate_budget: { sts: { burst: 2 } } }), [
      'ha.replicas: 4 replicas leave each a rate_budget sts.burst of 0.5, expected a number >= 1; expected fewer replicas or a larger rate_budget',
    ]);
  });
});
