import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { BOUND_REASONS, discoverCluster, SKIP_REASONS } from '../../src/discovery/index.ts';
import { fleet, options, rule } from './fixtures.ts';

const docs = new URL('../../docs/', import.meta.url);
const conventions = readFileSync(new URL('conventions.md', docs), 'utf8');
const labels = readFileSync(new URL('labels.md', docs), 'utf8');

describe('docs', () => {
  it('conventions.md documents every skip reason', () => {
    for (const reason of SKIP_REASONS)
      assert.match(conventions, new RegExp(`^\\| \`${reason}\` +\\|`, 'm'), reason);
  });

  it('conventions.md documents every bound reason', () => {
    for (const reason of BOUND_REASONS)
      assert.match(conventions, new RegExp(`^\\| \`${reason}\` +\\|`, 'm'), reason);
  });

  it('labels.md documents every label a target can carry', () => {
    const snapshot = fleet(
      [
        {
          id: 'a',
          family: 'a',
          tags: { t: '1' },
          containers: [
            {
              name: 'app',
              ports: [9100, 9200, 9300],
              env: { PROMETHEUS: 'true', PROMETHEUS_CONTAINER_PORT: '9100', PROMETHEUS_ENDPOINT: '5s:/m' },
              labels: {
                PROMETHEUS_EXPORTER_PORT: '9200',
                PROMETHEUS_EXPORTER_SCHEME: 'https',
                'ecs-sd.scrape': 'true',
                'ecs-sd.port': '9300',
                'ecs-sd.timeout': '1s',
                'x.y': 'z',
              },
            },
          ],
        },
        { id: 'b', family: 'b', launchType: 'FARGATE', containers: [{ name: 'app', ports: [9100] }] },
      ],
      {
        clusterTags: { c: '1' },
        services: [
          {
            serviceName: 'a',
            serviceArn: 'arn:aws:ecs:eu-west-1:123456789012:service/prod/a',
            status: 'ACTIVE',
            tags: [{ key: 's', value: '1' }],
          },
        ],
      },
    );
    const result = discoverCluster(
      snapshot,
      options({ dockerLabelAllowlist: /.*/, rules: [rule({ name: 'r', family: /^b$/, ports: [9100] })] }),
    );
    const names = new Set(result.targets.flatMap((t) => Object.keys(t.labels)));
    assert.ok(names.size > 50, `fixture covers many labels (${names.size})`);
    for (const name of names) {
      const documented = name
        .replace(/^(__meta_ecs_tag_(?:cluster|service|task|ec2)_).*$/, '$1<k>')
        .replace(/^(__meta_ecs_container_label_).*$/, '$1<k>');
      assert.ok(labels.includes(`\`${documented}\``), name);
    }
  });
});
