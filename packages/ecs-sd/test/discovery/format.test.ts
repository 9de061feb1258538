import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDecision } from '../../src/discovery/index.ts';
import { decisionOf } from './helpers.ts';

describe('formatDecision', () => {
  it('shows each target with its address, visible labels, then meta labels', () => {
    const text = formatDecision(
      decisionOf({
        id: 'abc',
        launchType: 'FARGATE',
        containers: [
          { name: 'app', env: { PROMETHEUS: 'true', PROMETHEUS_PORT: '9100' } },
          { name: 'sidecar', env: { PROMETHEUS: 'true', PROMETHEUS_PORT: '91OO' } },
          { name: 'plain' },
        ],
      }),
    );
    const lines = text.split('\n');
    assert.equal(lines[0], 'task abc arn:aws:ecs:eu-west-1:123456789012:task/prod/abc');
    assert.equal(
      lines[1],
      '  cluster prod, source main, lastStatus RUNNING, launchType FARGATE, networkMode awsvpc',
    );
    assert.ok(lines.includes('  1 target'));
    const app = lines.indexOf('  container "app": 1 target');
    assert.ok(app > 0, text);
    assert.equal(
      lines[app + 1],
      '    target 10.0.2.20:9100 (prometheus-ecs-sd, job "api", interval bucket 1m)',
    );
    assert.equal(
      lines[app + 2],
      '      labels: ecs_cluster="prod", ecs_task_id="abc", ecs_task_version="7", instance="10.0.2.20:9100", job="api", metrics_path="/metrics"',
    );
    assert.equal(lines[app + 3], '      scrape: __metrics_path__="/metrics"');
    assert.ok(lines[app + 4]!.startsWith('      meta:   __meta_ecs_account_id="123456789012", '));
    assert.ok(
      text.includes(
        '  container "sidecar": not a target\n    skipped (port-not-a-number): PROMETHEUS_PORT="91OO" is not a port number',
      ),
    );
    assert.ok(text.includes('  container "plain": not a target\n    not opted in by any enabled convention'));
  });

  it('says why a whole task is skipped and that it will be looked at again', () => {
    const text = formatDecision(
      decisionOf({
        id: 't',
        containers: [
          {
            name: 'app',
            env: { PROMETHEUS: 'true', PROMETHEUS_CONTAINER_PORT: '9100' },
            ports: [9100],
            bindings: [],
          },
        ],
      }),
    );
    assert.ok(
      text.includes(
        '    skipped (binding-not-assigned-yet): bridge binding for container port 9100 not assigned yet',
      ),
      text,
    );
    assert.ok(
      text.endsWith(
        '  incomplete: looked at again next refresh, it may become a target without the task changing',
      ),
    );
  });

  it('says when no container opted in', () => {
    const text = formatDecision(decisionOf({ id: 't', containers: [{ name: 'app', ports: [80] }] }));
    assert.ok(text.includes('  not a target (no-container-opted-in): no container opted in'), text);
  });
});
