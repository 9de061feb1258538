import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger, toLogfmt } from '../../src/log.ts';

function collect(format: 'logfmt' | 'json', level: 'debug' | 'info' | 'warn' | 'error' = 'info') {
  const lines: string[] = [];
  const log = createLogger({ level, format, sink: { write: (line) => lines.push(line) } });
  return { log, lines };
}

test('--log.format=logfmt writes ts, level, component and msg first, then the fields', () => {
  const { log, lines } = collect('logfmt');
  const error = Object.assign(new Error('access denied for "prod"'), { code: 'ECS_SD_AWS_READ_FAILED' });
  log
    .child({ component: 'daemon' })
    .warn({ err: error, cluster: 'prod', count: 3, nested: { a: 'x y' } }, 'refresh failed');
  assert.equal(lines.length, 1);
  assert.match(
    lines[0]!,
    /^ts=\d{4}-\d\d-\d\dT[\d:.]+Z level=warn component=daemon msg="refresh failed" err="access denied for \\"prod\\"" err\.code=ECS_SD_AWS_READ_FAILED cluster=prod count=3 nested\.a="x y"\n$/,
  );
});

test('--log.format=json writes pino JSON lines with a string level', () => {
  const { log, lines } = collect('json');
  log.info({ cluster: 'prod' }, 'ready');
  const record = JSON.parse(lines[0]!) as Record<string, unknown>;
  assert.equal(record['level'], 'info');
  assert.equal(record['msg'], 'ready');
  assert.equal(record['cluster'], 'prod');
});

test('--log.level filters lower levels', () => {
  const { log, lines } = collect('logfmt', 'warn');
  log.info('hidden');
  log.debug('hidden');
  log.error('shown');
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /msg=shown/);
});

test('credentials are redacted wherever a caller puts them', () => {
  const { log, lines } = collect('json');
  log.info({ credentials: { accessKeyId: 'AKID', secretAccessKey: 'SECRET' }, sessionToken: 'TOKEN' }, 'x');
  assert.doesNotMatch(lines[0]!, /SECRET|TOKEN|AKID/);
});

test('a line that is not JSON passes through unchanged', () => {
  assert.equal(toLogfmt('plain\n'), 'plain\n');
});
