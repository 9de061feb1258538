import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import {
  FileSdError,
  type FileSdMemo,
  fileSdPathProblem,
  removeTemporaries,
  renderFileSd,
  writeFileSd,
} from '../../src/output/file-sd.ts';
import { CHUNK_LENGTH } from '../../src/output/target-groups.ts';
import { leaveTemporaryOfKilledWriter, target } from './fixtures.ts';

let root: string;
let n = 0;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'ecs-sd-file-sd-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});
const freshDir = () => join(root, `case-${++n}`);

const fleet = [
  target({ family: 'web', taskId: 'b2', ip: '10.0.0.2', interval: '15s' }),
  target({ family: 'web', taskId: 'a1', ip: '10.0.0.1', interval: '1m', path: '/custom' }),
  target({ family: 'api', taskId: 'c3', ip: '10.0.1.3', port: 8080, interval: '1m' }),
];

test('the directory layout writes all four interval files, [] where an interval has no targets', async () => {
  const directory = freshDir();
  const result = await writeFileSd(fleet, { directory, format: 'json' });
  const names = ['15s-tasks.json', '30s-tasks.json', '1m-tasks.json', '5m-tasks.json'];
  assert.deepEqual(
    result.written,
    names.map((name) => join(directory, name)),
  );
  assert.deepEqual(result.unchanged, []);
  assert.deepEqual((await readdir(directory)).sort(), [...names].sort());
  assert.equal(await readFile(join(directory, '30s-tasks.json'), 'utf8'), '[]\n');
  assert.equal(await readFile(join(directory, '5m-tasks.json'), 'utf8'), '[]\n');
});

test('1m-tasks.json holds exactly the 1m targets in a stable, sorted layout', async () => {
  const directory = freshDir();
  await writeFileSd(fleet, { directory, format: 'json' });
  // Golden: the exact bytes Prometheus reads for the fixture fleet.
  const golden = `[
  {
    "targets": [
      "10.0.0.1:9100"
    ],
    "labels": {
      "ecs_cluster": "prod",
      "ecs_task_id": "a1",
      "ecs_task_version": "1",
      "instance": "10.0.0.1:9100",
      "job": "web",
      "metrics_path": "/custom"
    }
  },
  {
    "targets": [
      "10.0.1.3:8080"
    ],
    "labels": {
      "ecs_cluster": "prod",
      "ecs_task_id": "c3",
      "ecs_task_version": "1",
      "instance": "10.0.1.3:8080",
      "job": "api",
      "metrics_path": "/metrics"
    }
  }
]
`;
  assert.equal(await readFile(join(directory, '1m-tasks.json'), 'utf8'), golden);
});

test('an unchanged target set rewrites nothing, and a change rewrites only the affected file', async () => {
  const directory = freshDir();
  const writes: string[] = [];
  const onWrite = (file: string) => writes.push(file);
  await writeFileSd(fleet, { directory, format: 'json', onWrite });
  assert.equal(writes.length, 4);
  const before1m = await stat(join(directory, '1m-tasks.json'));

  const again = await writeFileSd([...fleet].reverse(), { directory, format: 'json', onWrite });
  assert.deepEqual(again.written, []);
  assert.equal(again.unchanged.length, 4);
  assert.equal(writes.length, 4, 'no write counted when nothing changed');
  assert.equal((await stat(join(directory, '1m-tasks.json'))).ino, before1m.ino, 'file not replaced');

  const changed = await writeFileSd([...fleet, target({ taskId: 'd4', ip: '10.0.0.4', interval: '5m' })], {
    directory,
    format: 'json',
    onWrite,
  });
  assert.deepEqual(changed.written, [join(directory, '5m-tasks.json')]);
  assert.deepEqual(writes.slice(4), [join(directory, '5m-tasks.json')]);
});

test('a file that was deleted or edited by hand is written again', async () => {
  const directory = freshDir();
  await writeFileSd(fleet, { directory, format: 'json' });
  await rm(join(directory, '15s-tasks.json'));
  await writeFile(join(directory, '1m-tasks.json'), 'garbage');
  const result = await writeFileSd(fleet, { directory, format: 'json' });
  assert.deepEqual(result.written, [join(directory, '15s-tasks.json'), join(directory, '1m-tasks.json')]);
  assert.ok(JSON.parse(await readFile(join(directory, '1m-tasks.json'), 'utf8')).length === 2);
});

test('YAML output uses .yml names and parses back to the same groups as JSON', async () => {
  const yamlDir = freshDir();
  const jsonDir = freshDir();
  await writeFileSd(fleet, { directory: yamlDir, format: 'yaml' });
  await writeFileSd(fleet, { directory: jsonDir, format: 'json' });
  assert.deepEqual((await readdir(yamlDir)).sort(), [
    '15s-tasks.yml',
    '1m-tasks.yml',
    '30s-tasks.yml',
    '5m-tasks.yml',
  ]);
  for (const interval of ['15s', '30s', '1m', '5m']) {
    assert.deepEqual(
      parseYaml(await readFile(join(yamlDir, `${interval}-tasks.yml`), 'utf8')),
      JSON.parse(await readFile(join(jsonDir, `${interval}-tasks.json`), 'utf8')),
    );
  }
});

test('YAML keeps label values that look like numbers or booleans as strings', async () => {
  const file = join(freshDir(), 'all.yaml');
  const t = target({ taskId: 't', ip: '10.0.0.1' });
  await writeFileSd([{ ...t, labels: { job: 'true', port: '9100', empty: '', colon: 'a: b' } }], {
    file,
    format: 'yaml',
  });
  assert.deepEqual(parseYaml(await readFile(file, 'utf8')), [
    { targets: ['10.0.0.1:9100'], labels: { colon: 'a: b', empty: '', job: 'true', port: '9100' } },
  ]);
});

test('the single-file layout writes every target, whatever its interval, into one file', async () => {
  const directory = freshDir();
  const file = join(directory, 'ecs.json');
  const result = await writeFileSd(fleet, { file, format: 'json' });
  assert.deepEqual(result.written, [file]);
  assert.deepEqual(await readdir(directory), ['ecs.json']);
  const groups = JSON.parse(await readFile(file, 'utf8')) as { targets: string[] }[];
  assert.deepEqual(groups.flatMap((g) => g.targets).sort(), [
    '10.0.0.1:9100',
    '10.0.0.2:9100',
    '10.0.1.3:8080',
  ]);
  assert.equal(await readFile(join(directory, 'ecs.json'), 'utf8'), await readFile(file, 'utf8'));
  assert.deepEqual((await writeFileSd([], { file, format: 'json' })).written, [file]);
  assert.equal(await readFile(file, 'utf8'), '[]\n');
});

test('rejects a single file whose extension Prometheus would not parse as the format', async () => {
  assert.equal(fileSdPathProblem('/x/ecs.json', 'json'), undefined);
  assert.equal(fileSdPathProblem('/x/ecs.YAML', 'yaml'), undefined);
  assert.equal(
    fileSdPathProblem('/x/ecs.json', 'yaml'),
    'file_sd file "/x/ecs.json" does not end in .yml or .yaml, expected for format yaml',
  );
  await assert.rejects(writeFileSd([], { file: join(freshDir(), 'ecs.txt'), format: 'json' }), {
    name: 'FileSdError',
    code: 'ECS_SD_FILE_SD_OPTIONS',
    message: /does not end in \.json/,
  });
  await assert.rejects(writeFileSd([], { format: 'json' }), {
    code: 'ECS_SD_FILE_SD_OPTIONS',
    message: 'file_sd needs exactly one of directory and file, received neither',
  });
});

test('a failed write leaves no temporary file, names the file and keeps the other files written', async () => {
  const directory = freshDir();
  // A directory where the file should be: the final rename fails.
  await mkdir(join(directory, '1m-tasks.json'), { recursive: true });
  const result = await writeFileSd(fleet, { directory, format: 'json' });
  assert.equal(result.failed.length, 1);
  const [failure] = result.failed;
  assert.equal(failure!.path, join(directory, '1m-tasks.json'));
  assert.equal(failure!.reason, 'bad-path');
  assert.ok(failure!.error instanceof FileSdError);
  assert.equal(failure!.error.code, 'ECS_SD_FILE_SD_WRITE');
  assert.equal(failure!.error.message, `writing file_sd file "${join(directory, '1m-tasks.json')}" failed`);
  assert.ok(failure!.error.cause instanceof Error);
  assert.deepEqual(
    result.written,
    ['15s', '30s', '5m'].map((interval) => join(directory, `${interval}-tasks.json`)),
  );
  assert.equal(JSON.parse(await readFile(join(directory, '15s-tasks.json'), 'utf8')).length, 1);
  assert.deepEqual(
    (await readdir(directory)).filter((name) => name.endsWith('.tmp')),
    [],
  );
});

test('a directory that cannot be created fails every file of it, as values, without throwing', async () => {
  const parent = freshDir();
  await mkdir(parent, { recursive: true });
  await writeFile(join(parent, 'not-a-dir'), 'a regular file');
  const directory = join(parent, 'not-a-dir', 'sd');
  const result = await writeFileSd(fleet, { directory, format: 'yaml' });
  assert.deepEqual(result.written, []);
  assert.deepEqual(
    result.failed.map(({ path, reason }) => [path, reason]),
    ['15s', '30s', '1m', '5m'].map((interval) => [join(directory, `${interval}-tasks.yml`), 'bad-path']),
  );
  assert.match(
    result.failed[0]!.error.message,
    /^creating file_sd directory ".*sd" for ".*15s-tasks.yml" failed$/,
  );
});

test('a file whose targets render longer than the bound is not written; it keeps its content and the others are written', async () => {
  const directory = freshDir();
  await writeFileSd(fleet, { directory, format: 'json' });
  const before1m = await readFile(join(directory, '1m-tasks.json'), 'utf8');
  const padded = (i: number) => {
    const t = target({ taskId: `big${i}`, ip: `10.3.0.${i}`, interval: '1m' });
    return { ...t, labels: { ...t.labels, pad: 'p'.repeat(400) } };
  };
  const grown = [
    ...fleet,
    ...Array.from({ length: 10 }, (_, i) => padded(i)),
    target({ taskId: 'e5', ip: '10.0.0.5', interval: '5m' }),
  ];
  const result = await writeFileSd(grown, { directory, format: 'json', maxLength: 3000 });
  assert.deepEqual(
    result.failed.map(({ path, reason }) => [path, reason]),
    [[join(directory, '1m-tasks.json'), 'too-large']],
  );
  assert.equal(result.failed[0]!.error.code, 'ECS_SD_FILE_SD_RENDER');
  assert.match(
    result.failed[0]!.error.message,
    /^file_sd file ".*1m-tasks.json" not rendered: 12 targets in 12 groups render to more than 3000 characters, the most one output holds$/,
  );
  assert.equal(
    await readFile(join(directory, '1m-tasks.json'), 'utf8'),
    before1m,
    'the last good file stays',
  );
  assert.deepEqual(result.written, [join(directory, '5m-tasks.json')]);
  assert.equal(JSON.parse(await readFile(join(directory, '5m-tasks.json'), 'utf8')).length, 1);
});

test('a target that throws while rendering fails only its own file', async () => {
  const directory = freshDir();
  const t = target({ taskId: 'boom', ip: '10.0.0.66', interval: '15s' });
  const labels = { ...t.labels };
  Object.defineProperty(labels, 'huge', {
    enumerable: true,
    get() {
      throw new RangeError('Invalid string length');
    },
  });
  const result = await writeFileSd([...fleet, { ...t, labels }], { directory, format: 'yaml' });
  assert.deepEqual(
    result.failed.map(({ path, reason, error }) => [path, reason, error.message]),
    [
      [
        join(directory, '15s-tasks.yml'),
        'render-error',
        `file_sd file "${join(directory, '15s-tasks.yml')}" not rendered: rendering 2 targets failed: Invalid string length`,
      ],
    ],
  );
  assert.equal(result.written.length, 3);
  assert.equal(parseYaml(await readFile(join(directory, '1m-tasks.yml'), 'utf8')).length, 2);
});

test('with a memo, a file that cannot be rendered is not rendered again while its targets are the same; a write failure is retried', async () => {
  const directory = freshDir();
  const memo: FileSdMemo = new Map();
  let reads = 0;
  const t = target({ taskId: 'boom', ip: '10.0.0.66', interval: '15s' });
  const labels = { ...t.labels };
  Object.defineProperty(labels, 'huge', {
    enumerable: true,
    get() {
      reads++;
      throw new RangeError('Invalid string length');
    },
  });
  const targets = [...fleet, { ...t, labels }];
  await mkdir(join(directory, '5m-tasks.json'), { recursive: true });
  const first = await writeFileSd(targets, { directory, format: 'json', memo });
  assert.deepEqual(
    first.failed.map(({ reason }) => reason),
    ['render-error', 'bad-path'],
  );
  assert.equal(reads, 1);
  await rm(join(directory, '5m-tasks.json'), { recursive: true });
  const second = await writeFileSd(targets, { directory, format: 'json', memo });
  assert.equal(reads, 1, 'the same targets are not rendered again');
  assert.deepEqual(
    second.failed.map(({ path, reason }) => [path, reason]),
    [[join(directory, '15s-tasks.json'), 'render-error']],
  );
  assert.deepEqual(second.written, [join(directory, '5m-tasks.json')], 'the write failure was tried again');
  assert.deepEqual(
    second.unchanged,
    ['30s', '1m'].map((interval) => join(directory, `${interval}-tasks.json`)),
  );
  const fixed = await writeFileSd(fleet, { directory, format: 'json', memo });
  assert.deepEqual(fixed.written, [join(directory, '15s-tasks.json')], 'other targets are rendered');
  assert.deepEqual(fixed.failed, []);
});

test('with a memo, new targets that render the same bytes rewrite nothing, and the memo, not the file, tells what changed', async () => {
  const directory = freshDir();
  const memo: FileSdMemo = new Map();
  const writes: string[] = [];
  const onWrite = (file: string) => writes.push(file);
  await writeFileSd(fleet, { directory, format: 'json', memo, onWrite });
  const file = join(directory, '1m-tasks.json');
  const content = await readFile(file, 'utf8');
  writes.length = 0;
  const copies = fleet.map((t) => ({ ...t, labels: { ...t.labels } }));
  const same = await writeFileSd(copies, { directory, format: 'json', memo, onWrite });
  assert.deepEqual(writes, [], 'equal bytes from other target objects: nothing written');
  assert.equal(same.unchanged.length, 4);
  await writeFile(file, 'edited by hand');
  await writeFileSd(
    fleet.map((t) => ({ ...t })),
    { directory, format: 'json', memo, onWrite },
  );
  assert.deepEqual(writes, [], 'the texts of the last write are compared, the file is not read');
  assert.equal(await readFile(file, 'utf8'), 'edited by hand');
  await writeFileSd(fleet, { directory, format: 'json', onWrite });
  assert.deepEqual(writes, [file], 'without a memo the file on disk is compared');
  assert.equal(await readFile(file, 'utf8'), content);
});

test('a file larger than a chunk is written in chunks, byte for byte its rendering, and found unchanged', async () => {
  const directory = freshDir();
  const big = Array.from({ length: 700 }, (_, i) => {
    const t = target({ taskId: `big${i}`, ip: `10.1.${i >> 8}.${i & 255}` });
    return { ...t, labels: { ...t.labels, note: `${i}`.padEnd(2000, 'x') } };
  });
  const result = await writeFileSd(big, { directory, format: 'json' });
  const file = join(directory, '1m-tasks.json');
  assert.ok((await stat(file)).size > CHUNK_LENGTH);
  assert.equal(await readFile(file, 'utf8'), renderFileSd(big, 'json'));
  assert.ok(result.written.includes(file));
  const again = await writeFileSd(big, { directory, format: 'json' });
  assert.ok(again.unchanged.includes(file));
});

test('lone surrogates are written as U+FFFD in JSON and YAML, and counted per file', async () => {
  const directory = freshDir();
  const t = target({ taskId: 'odd', ip: '10.0.0.7' });
  const odd = { ...t, labels: { ...t.labels, team: 'a\ud800b' } };
  for (const format of ['json', 'yaml'] as const) {
    const file = join(directory, `all.${format === 'json' ? 'json' : 'yml'}`);
    const result = await writeFileSd([odd, ...fleet], { file, format });
    assert.equal(result.replaced.get(file), 1);
    const text = await readFile(file, 'utf8');
    const groups = (format === 'json' ? JSON.parse(text) : parseYaml(text)) as {
      labels: Record<string, string>;
    }[];
    assert.equal(groups.find((group) => group.labels['ecs_task_id'] === 'odd')!.labels['team'], 'a\ufffdb');
  }
});

test('removeTemporaries removes exactly the temporaries of our files, nothing else', async () => {
  const directory = freshDir();
  await mkdir(join(directory, 'sub'), { recursive: true });
  const ours = [
    '.1m-tasks.json.4242.0123456789ab.tmp',
    '.15s-tasks.json.1.ffffffffffff.tmp',
    '.ecs.yml.77.a1b2c3d4e5f6.tmp',
  ];
  const others = [
    '1m-tasks.json',
    '.1m-tasks.json.4242.0123456789ab.tmp.keep',
    '.1m-tasks.json.4242.0123456789a.tmp',
    '.1m-tasks.json.pid.0123456789ab.tmp',
    '.1m-tasks.jsonx.4242.0123456789ab.tmp',
    '.other.json.4242.0123456789ab.tmp',
    '.1m-tasks.json.4242.0123456789AB.tmp',
    'x.1m-tasks.json.4242.0123456789ab.tmp',
  ];
  for (const name of [...ours, ...others]) await writeFile(join(directory, name), 'x');
  // A directory named like a temporary is not ours to remove.
  await mkdir(join(directory, '.5m-tasks.json.9.0123456789ab.tmp'));
  const paths = [
    ...['15s', '30s', '1m', '5m'].map((i) => join(directory, `${i}-tasks.json`)),
    join(directory, 'ecs.yml'),
  ];
  const { removed, failed } = await removeTemporaries([...paths, join(freshDir(), 'missing', 'ecs.json')]);
  assert.deepEqual(failed, []);
  assert.deepEqual(removed.sort(), ours.map((name) => join(directory, name)).sort());
  assert.deepEqual(
    (await readdir(directory)).sort(),
    [...others, '.5m-tasks.json.9.0123456789ab.tmp', 'sub'].sort(),
  );
});

test('the temporary file of a writer killed with SIGKILL mid-write is removed by removeTemporaries', async () => {
  const directory = freshDir();
  await mkdir(directory, { recursive: true });
  const file = join(directory, '1m-tasks.json');
  const left = await leaveTemporaryOfKilledWriter(file);
  assert.match(basename(left), /^\.1m-tasks\.json\.[0-9]+\.[0-9a-f]{12}\.tmp$/);
  const { removed } = await removeTemporaries([file]);
  assert.deepEqual(removed, [left]);
  assert.deepEqual(await readdir(directory), []);
});

test('a reader never sees a half-written file while the targets keep changing', async () => {
  const directory = freshDir();
  const file = join(directory, '1m-tasks.json');
  const big = Array.from({ length: 400 }, (_, i) =>
    target({ taskId: `t${i}`, ip: `10.2.${i >> 8}.${i & 255}` }),
  );
  await writeFileSd(big, { directory, format: 'json' });
  let writing = true;
  let reads = 0;
  const reader = (async () => {
    while (writing) {
      const content = await readFile(file, 'utf8');
      assert.doesNotThrow(() => JSON.parse(content), 'file content is always complete JSON');
      reads++;
    }
  })();
  for (let round = 0; round < 40; round++) {
    await writeFileSd(round % 2 ? big : big.slice(0, 50 + round), { directory, format: 'json' });
  }
  writing = false;
  await reader;
  assert.ok(reads > 0);
  assert.deepEqual(
    (await readdir(directory)).filter((name) => name.endsWith('.tmp')),
    [],
  );
});
