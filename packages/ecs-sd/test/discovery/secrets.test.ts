import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { discoverCluster, formatDecision } from '../../src/discovery/index.ts';
import { fleet, options } from './fixtures.ts';

const SECRET = 's3cr3t-Zq8vX';
const SECRET_NAME = 'DATABASE_PASSWORD_XYZ';

describe('environment values other than PROMETHEUS*', () => {
  it('never appear in targets, decisions or the explain text', () => {
    const snapshot = fleet([
      {
        id: 'ok',
        family: 'a',
        launchType: 'FARGATE',
        containers: [
          {
            name: 'app',
            env: { PROMETHEUS: 'true', PROMETHEUS_PORT: '9100', [SECRET_NAME]: SECRET, AWS_SECRET: SECRET },
          },
        ],
      },
      {
        id: 'bad',
        family: 'b',
        containers: [
          { name: 'app', env: { PROMETHEUS: 'true', PROMETHEUS_PORT: '9x', [SECRET_NAME]: SECRET } },
        ],
        envOverrides: { app: { [SECRET_NAME]: SECRET, PROMETHEUS_ENDPOINT: 'x:y' } },
      },
      {
        id: 'off',
        family: 'c',
        containers: [{ name: 'app', env: { [SECRET_NAME]: SECRET }, ports: [9100] }],
      },
    ]);
    const result = discoverCluster(snapshot, options({ dockerLabelAllowlist: /.*/ }));
    assert.equal(result.targets.length, 1, 'the fixture does produce a target');
    const text = JSON.stringify(result) + result.decisions.map(formatDecision).join('\n');
    assert.ok(text.includes('PROMETHEUS_PORT="9x"'), 'the fixture does produce a message');
    assert.ok(!text.includes(SECRET), 'secret value leaked');
    assert.ok(!text.includes(SECRET_NAME), 'secret name leaked');
    assert.ok(!text.includes('AWS_SECRET'), 'secret name leaked');
  });
});
