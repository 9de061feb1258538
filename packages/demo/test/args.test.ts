import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { INVOCATION, parseDemoArgs } from '../src/args.ts';

const repo = fileURLToPath(new URL('../../..', import.meta.url));
const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const run = promisify(execFile);

describe('demo flags', () => {
  it('takes durations in bare seconds, as ecs-sd does, and in Prometheus notation', () => {
    const parsed = parseDemoArgs(['--duration', '5', '--churn-interval=1m30s']);
    assert.ok('args' in parsed, JSON.stringify(parsed));
    assert.equal(parsed.args.durationSeconds, 5);
    assert.equal(parsed.args.churnIntervalSeconds, 90);
    const decimals = parseDemoArgs(['--duration', '2.5', '--churn-interval', '0']);
    assert.ok('args' in decimals, JSON.stringify(decimals));
    assert.equal(decimals.args.durationSeconds, 2.5);
    assert.equal(decimals.args.churnIntervalSeconds, 0, '0 turns churn off');
  });

  it('reports every problem in one run, one line each naming the flag and the value', () => {
    const parsed = parseDemoArgs([
      '--duration',
      '5x',
      '--churn-interval',
      'soon',
      '--verbose',
      'extra',
      '--duration=0',
    ]);
    assert.ok('problems' in parsed);
    assert.deepEqual(parsed.problems, [
      '--verbose: unknown flag, expected one of --duration, --churn-interval, --no-prometheus, --no-node-exporter, --help',
      '"extra": unexpected argument, expected only flags (--duration, --churn-interval, --no-prometheus, --no-node-exporter, --help)',
      '--duration: "0" is zero, expected a duration above 0',
      '--churn-interval: "soon" is not a duration, expected seconds (300, 2.5) or a Prometheus duration (5m, 1h30m)',
    ]);
    const missing = parseDemoArgs(['--duration']);
    assert.ok('problems' in missing);
    assert.deepEqual(missing.problems, ['--duration: no value, expected a duration such as 300 or 5m']);
  });

  it('shows in --help the invocation the README documents', async () => {
    const { stdout } = await run(process.execPath, [cli, '--help']);
    assert.match(stdout, new RegExp(`^usage: ${INVOCATION} \\[--duration`));
    const readme = await readFile(`${repo}/README.md`, 'utf8');
    assert.ok(
      readme.includes(`${INVOCATION}        #`),
      `README's quick start runs the demo with ${INVOCATION}`,
    );
    assert.ok(!readme.includes('npm run demo'), 'README names a second way to run the demo');
    const runSh = await readFile(`${repo}/scripts/run.sh`, 'utf8');
    assert.ok(runSh.includes(`${INVOCATION} [flags]`), 'scripts/run.sh documents the same invocation');
  });

  it('exits 2 with every problem on stderr', async () => {
    const err = await run(process.execPath, [cli, '--duration', 'later', '--nope']).catch((e: unknown) => e);
    const { code, stderr } = err as { code: number; stderr: string };
    assert.equal(code, 2);
    assert.deepEqual(stderr.trim().split('\n'), [
      'demo: --nope: unknown flag, expected one of --duration, --churn-interval, --no-prometheus, --no-node-exporter, --help',
      'demo: --duration: "later" is not a duration, expected seconds (300, 2.5) or a Prometheus duration (5m, 1h30m)',
      `demo: see ${INVOCATION} --help`,
    ]);
  });
});
