import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ECSClient, ListClustersCommand } from '@aws-sdk/client-ecs';

const CLI = new URL('../src/cli.ts', import.meta.url).pathname;

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('cli', () => {
  it('starts in one command, prints the endpoint first and closes cleanly on SIGTERM', async () => {
    const p = spawn(process.execPath, [CLI, '--listen', '127.0.0.1:0', '--generate', 'clusters=2,tasks=50'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const first = await new Promise<string>((resolve, reject) => {
      let buf = '';
      p.stdout.on('data', (d) => {
        buf += d;
        const nl = buf.indexOf('\n');
        if (nl >= 0) resolve(buf.slice(0, nl));
      });
      p.on('exit', (code) => reject(new Error(`exited ${code}`)));
    });
    const m = /^ecs-sim listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(first);
    assert.ok(m, first);
    const ecs = new ECSClient({
      endpoint: m[1]!,
      region: 'us-east-1',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    });
    const r = await ecs.send(new ListClustersCommand({}));
    assert.equal(r.clusterArns?.length, 2);
    const exited = new Promise<number | null>((resolve) => p.on('exit', resolve));
    p.kill('SIGTERM');
    assert.equal(await exited, 0);
  });

  it('exits 2 with one line per bad flag', async () => {
    const r = await run(['--throttle', 'sometimes', '--nope', '--latency', '-5', '--fault', 'kind=boom']);
    assert.equal(r.code, 2);
    assert.deepEqual(r.stderr.trim().split('\n'), [
      '--throttle: got "sometimes", expected off, on or a scale factor > 0',
      '--nope: unknown flag, expected one of --listen, --fleet, --generate, --throttle, --latency, --fault, --seed, --region, --account-id, --events-queue, --event-delivery, --lifecycle, --help',
      '--latency: got "-5", expected milliseconds >= 0',
      '--fault: fault kind: got "boom", expected one of throttle, http500, http503, reset, truncate, malformed, latency, access-denied, delete-between-list-and-describe',
    ]);
  });

  it('exits 2 with one line per fleet problem', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ecs-sim-cli-'));
    const file = join(dir, 'fleet.yaml');
    writeFileSync(file, 'clusters:\n  - name: a\n    arnFormat: wide\n  - name: b\n    extra: 1\n');
    const r = await run(['--fleet', file]);
    assert.equal(r.code, 2);
    assert.deepEqual(r.stderr.trim().split('\n'), [
      `${file}: clusters[0].arnFormat: got "wide", expected one of long, short`,
      `${file}: clusters[1].extra: unknown key "extra"`,
    ]);
  });
});
