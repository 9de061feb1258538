import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FLAGS, flagDefault } from '../src/config/flags.ts';

// No container engine runs here, so the image is checked from its Dockerfile: what a user of the
// image would notice (pinned bases, non-root, the CLI the tests exercise, a working health check).
const PACKAGE_DIR = join(import.meta.dirname, '..');
const REPO_DIR = join(PACKAGE_DIR, '..', '..');
const dockerfile = readFileSync(join(PACKAGE_DIR, 'Dockerfile'), 'utf8');

interface Instruction {
  keyword: string;
  args: string;
}

/** Dockerfile instructions with continuation lines joined and comments dropped. */
function instructions(text: string): Instruction[] {
  const joined = text
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => {
      const space = line.indexOf(' ');
      return { keyword: line.slice(0, space).toUpperCase(), args: line.slice(space + 1).trim() };
    });
}

const all = instructions(dockerfile);
const globalArgs = new Map<string, string>();
for (const ins of all) {
  if (ins.keyword === 'FROM') break;
  if (ins.keyword === 'ARG') {
    const [name, value] = ins.args.split('=', 2) as [string, string | undefined];
    if (value !== undefined) globalArgs.set(name, value);
  }
}

/** The stages in order, each with its resolved base image and its instructions. */
const stages = all.reduce<{ name: string; image: string; body: Instruction[] }[]>((acc, ins) => {
  if (ins.keyword === 'FROM') {
    const match = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
    assert.ok(match, `cannot read FROM ${ins.args}`);
    const image = match[1]!.replace(
      /^\$\{(\w+)\}$/,
      (_, name: string) => globalArgs.get(name) ?? `\${${name}}`,
    );
    acc.push({ name: match[2] ?? '', image, body: [] });
  } else {
    acc.at(-1)?.body.push(ins);
  }
  return acc;
}, []);
const stageNames = new Set(stages.map((s) => s.name));
const runtime = stages.at(-1)!;

function execForm(args: string): string[] {
  const parsed: unknown = JSON.parse(args);
  assert.ok(Array.isArray(parsed), `expected exec form (a JSON array), received ${args}`);
  return parsed as string[];
}

describe('Dockerfile of the ecs-sd image', () => {
  it('pins every external base image by tag and digest', () => {
    const external = stages.filter((s) => !stageNames.has(s.image));
    assert.ok(external.length >= 2, 'expected a build base and a runtime base');
    for (const stage of external) {
      assert.match(
        stage.image,
        /^[\w./-]+:[\w.-]+@sha256:[0-9a-f]{64}$/,
        `stage ${stage.name} base ${stage.image}`,
      );
    }
    assert.match(stages[0]!.image, /^node:24-bookworm-slim@/, 'the build runs on Node 24 (bookworm-slim)');
    assert.match(runtime.image, /^(gcr\.io\/distroless\/nodejs24-debian12:nonroot|node:24-bookworm-slim)@/);
  });

  it('builds with npm ci and the workspace build script, and ships only production dependencies', () => {
    const runs = all.filter((i) => i.keyword === 'RUN').map((i) => i.args);
    assert.ok(
      runs.some((r) => /npm ci --workspace=ecs-sd --include-workspace-root/.test(r)),
      'build stage installs with npm ci',
    );
    assert.ok(
      runs.some((r) => /npm run build --workspace=ecs-sd/.test(r)),
      'build stage runs the build script',
    );
    assert.ok(
      runs.some((r) => /npm ci --workspace=ecs-sd --omit=dev/.test(r)),
      'dependencies are installed without dev ones',
    );
    const copies = runtime.body.filter((i) => i.keyword === 'COPY').map((i) => i.args);
    assert.ok(
      copies.includes('--from=build /src/packages/ecs-sd/dist /app/dist'),
      'dist/ comes from the build',
    );
    assert.ok(
      copies.every((c) => !/--from=build \/src\/node_modules/.test(c)),
      'the build stage node_modules (with dev dependencies) must not be copied',
    );
  });

  it('runs dist/cli.js, which the build script produces from src/cli.ts', () => {
    const entrypoint = runtime.body.filter((i) => i.keyword === 'ENTRYPOINT');
    assert.equal(entrypoint.length, 1);
    const argv = execForm(entrypoint[0]!.args);
    assert.match(argv[0]!, /(^|\/)node$/);
    assert.equal(argv[1], '/app/dist/cli.js');
    const pkg = JSON.parse(readFileSync(join(PACKAGE_DIR, 'package.json'), 'utf8')) as {
      type?: string;
      scripts?: Record<string, string>;
    };
    assert.equal(pkg.scripts?.['build'], 'tsc -p tsconfig.build.json', 'package.json needs the build script');
    assert.equal(pkg.type, 'module', 'dist/*.js are ES modules: package.json (copied to /app) says so');
    const build = JSON.parse(readFileSync(join(PACKAGE_DIR, 'tsconfig.build.json'), 'utf8')) as {
      extends?: string;
      compilerOptions?: Record<string, unknown>;
      include?: string[];
    };
    assert.equal(build.compilerOptions?.['noEmit'], false);
    assert.equal(build.compilerOptions?.['outDir'], 'dist');
    assert.equal(build.compilerOptions?.['rootDir'], 'src', 'rootDir src maps src/cli.ts to dist/cli.js');
    assert.ok(build.include?.includes('src'));
    assert.ok(existsSync(join(PACKAGE_DIR, 'src', 'cli.ts')), 'src/cli.ts is the entry point');
    const base = JSON.parse(readFileSync(join(REPO_DIR, 'tsconfig.base.json'), 'utf8')) as {
      compilerOptions: Record<string, unknown>;
    };
    assert.equal(
      base.compilerOptions['rewriteRelativeImportExtensions'],
      true,
      "'./x.ts' imports become './x.js'",
    );
  });

  it('copies every file the build stage needs from the context', () => {
    const copied = all
      .filter((i) => i.keyword === 'COPY' && !i.args.startsWith('--from'))
      .flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    for (const path of copied) assert.ok(existsSync(join(REPO_DIR, path)), `COPY source ${path} is missing`);
    const root = JSON.parse(readFileSync(join(REPO_DIR, 'package.json'), 'utf8')) as { workspaces: string[] };
    for (const workspace of root.workspaces) {
      assert.ok(copied.includes(`${workspace}/package.json`), `npm ci needs ${workspace}/package.json`);
    }
  });

  it('runs as a non-root user and writes only to the output volume', () => {
    const users = runtime.body.filter((i) => i.keyword === 'USER').map((i) => i.args);
    assert.equal(users.length, 1);
    assert.doesNotMatch(users[0]!, /^(root|0)(:|$)/);
    const volume = runtime.body.find((i) => i.keyword === 'VOLUME');
    assert.deepEqual(execForm(volume!.args), ['/etc/prometheus/ecs-sd']);
    const cmd = execForm(runtime.body.find((i) => i.keyword === 'CMD')!.args);
    assert.ok(cmd.includes('--output.directory=/etc/prometheus/ecs-sd/'), 'the default output is the volume');
    const owned = runtime.body.find(
      (i) => i.keyword === 'COPY' && i.args.endsWith(' /etc/prometheus/ecs-sd'),
    );
    assert.match(owned!.args, new RegExp(`--chown=${users[0]!.split(':')[0]}`), 'the user owns the volume');
  });

  it('exposes the default listen port and health-checks /-/healthy on it without curl', () => {
    const listen = FLAGS.find((f) => f.name === 'web.listen-address');
    const port = /:(\d+)$/.exec((listen && flagDefault(listen)) ?? '')?.[1];
    assert.ok(port, 'web.listen-address has a default port');
    const expose = runtime.body.filter((i) => i.keyword === 'EXPOSE').map((i) => i.args);
    assert.deepEqual(expose, [port]);
    const health = runtime.body.filter((i) => i.keyword === 'HEALTHCHECK');
    assert.equal(health.length, 1);
    const [, command] = /\bCMD\s+(\[.*\])$/.exec(health[0]!.args) ?? [];
    const argv = execForm(command!);
    assert.match(argv[0]!, /(^|\/)node$/);
    assert.equal(argv[1], '-e');
    assert.match(argv[2]!, new RegExp(`fetch\\('http://127\\.0\\.0\\.1:${port}/-/healthy'\\)`));
    assert.doesNotMatch(health[0]!.args, /curl|wget/);
  });

  it('keeps node_modules, dist and .git out of the build context', () => {
    const ignore = readFileSync(join(PACKAGE_DIR, 'Dockerfile.dockerignore'), 'utf8').split('\n');
    for (const entry of ['**/node_modules', '**/dist', '.git']) assert.ok(ignore.includes(entry), entry);
  });
});
