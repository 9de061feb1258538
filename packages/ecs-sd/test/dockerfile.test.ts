import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort, waitUntil } from '@ecs-sd/testkit';
import bcrypt from 'bcryptjs';
import { FLAGS, flagDefault } from '../src/config/flags.ts';
import { SERVER_CERT, SERVER_KEY } from './server/tls-fixtures.ts';
import {
  all,
  entrypoint,
  execForm,
  PACKAGE_DIR,
  REPO_DIR,
  runtime,
  runtimeEnv,
  stages,
} from './support/dockerfile.ts';

// No container engine runs here, so the image is checked from its Dockerfile: what a user of the
// image would notice (pinned bases, non-root, the CLI the tests exercise, a working health check).
const stageNames = new Set(stages.map((s) => s.name));

/** The HEALTHCHECK's command, exec form. */
function healthcheckArgv(): string[] {
  const health = runtime.body.filter((i) => i.keyword === 'HEALTHCHECK');
  assert.equal(health.length, 1);
  const [, command] = /\bCMD\s+(\[.*\])$/.exec(health[0]!.args) ?? [];
  return execForm(command!);
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
    assert.equal(argv.at(-1), '/app/dist/cli.js');
    // Between them only node's own flags (the footprint bench runs dist/ with these same flags).
    for (const flag of argv.slice(1, -1)) assert.match(flag, /^--[a-z-]+=\d+$/);
    const pkg = JSON.parse(readFileSync(join(PACKAGE_DIR, 'package.json'), 'utf8')) as {
      type?: string;
      scripts?: Record<string, string>;
    };
    assert.equal(
      pkg.scripts?.['build'],
      'tsc -p tsconfig.build.json && node scripts/build-info.ts && node scripts/bundle-ec2.ts',
      'package.json needs the build script (compile, then dist/build-info.json and dist/vendor/client-ec2.cjs)',
    );
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
    assert.equal(
      runtimeEnv().get('ECS_SD_OUTPUT_DIRECTORY'),
      '/etc/prometheus/ecs-sd/',
      'the default output is the volume',
    );
    const owned = runtime.body.find(
      (i) => i.keyword === 'COPY' && i.args.endsWith(' /etc/prometheus/ecs-sd'),
    );
    assert.match(owned!.args, new RegExp(`--chown=${users[0]!.split(':')[0]}`), 'the user owns the volume');
  });

  it('warms a compile cache where NODE_COMPILE_CACHE points, as the user and with the node flags of the daemon', () => {
    const cache = runtimeEnv().get('NODE_COMPILE_CACHE');
    assert.match(cache ?? '', /^\//, 'NODE_COMPILE_CACHE is an absolute path in the image');
    const user = runtime.body.findIndex((i) => i.keyword === 'USER');
    const warm = runtime.body.findIndex((i) => i.keyword === 'RUN' && i.args.includes('compile-cache.js'));
    assert.ok(warm > user, 'warmed after USER: Node keeps one cache per user id');
    const [node, ...args] = entrypoint();
    assert.deepEqual(
      execForm(runtime.body[warm]!.args),
      [node, ...args.slice(0, -1), '/app/dist/compile-cache.js'],
      "the ENTRYPOINT's node and flags: V8's flags key the cache too",
    );
    assert.ok(existsSync(join(PACKAGE_DIR, 'src', 'compile-cache.ts')), 'the build compiles it to dist/');
    // No shell in distroless to create the directory: it is copied in, owned by the user who warms it.
    const owner = runtime.body[user]!.args.split(':')[0]!;
    const copied = runtime.body.findIndex((i) => i.keyword === 'COPY' && i.args.endsWith(` ${cache}`));
    assert.ok(copied !== -1 && copied < warm, `${cache} is copied in before it is warmed`);
    assert.match(runtime.body[copied]!.args, new RegExp(`--chown=${owner}\\b`));
  });

  it('exposes the default listen port and health-checks with `ecs-sd healthcheck`, which reads what the daemon reads', () => {
    const listen = FLAGS.find((f) => f.name === 'web.listen-address');
    const port = /:(\d+)$/.exec((listen && flagDefault(listen)) ?? '')?.[1];
    assert.ok(port, 'web.listen-address has a default port');
    const expose = runtime.body.filter((i) => i.keyword === 'EXPOSE').map((i) => i.args);
    assert.deepEqual(expose, [port]);
    assert.deepEqual(healthcheckArgv(), [...entrypoint(), 'healthcheck']);
    assert.doesNotMatch(runtime.body.find((i) => i.keyword === 'HEALTHCHECK')!.args, /curl|wget/);
    // The defaults are environment variables, so the health check sees them as the daemon does.
    assert.equal(
      runtime.body.filter((i) => i.keyword === 'CMD').length,
      0,
      'no CMD flags the health check would not see',
    );
    assert.equal(runtimeEnv().get('ECS_SD_CONFIG_FILE'), '/etc/ecs-sd/ecs-sd.yaml');
    const build = stages.find((stage) => stage.name === 'build')!;
    assert.ok(
      build.body.some((i) => i.keyword === 'RUN' && /> \/out\/etc\/ecs-sd\/ecs-sd\.yaml/.test(i.args)),
      'the image holds a default config file, so it runs with flags alone',
    );
  });

  it('builds with the git revision it is given, for ecs_sd_build_info', () => {
    const build = stages.find((stage) => stage.name === 'build')!;
    assert.ok(build.body.some((i) => i.keyword === 'ARG' && i.args === 'REVISION=unknown'));
    assert.ok(
      build.body.some(
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the Dockerfile's ${REVISION}, verbatim
        (i) => i.keyword === 'RUN' && i.args.includes('ECS_SD_REVISION="${REVISION}" npm run build'),
      ),
    );
  });

  it('keeps node_modules, dist and .git out of the build context', () => {
    const ignore = readFileSync(join(PACKAGE_DIR, 'Dockerfile.dockerignore'), 'utf8').split('\n');
    for (const entry of ['**/node_modules', '**/dist', '.git']) assert.ok(ignore.includes(entry), entry);
  });
});

// The HEALTHCHECK run for real: the image's ENTRYPOINT and ENV start a daemon (node for
// /nodejs/bin/node, src/cli.ts for /app/dist/cli.js, temporary files for the image's paths), and the
// exact HEALTHCHECK command, with the same environment, must pass while it runs and fail once it stops,
// in every way the daemon can listen.
const CLI = join(PACKAGE_DIR, 'src', 'cli.ts');

function inHost(argv: readonly string[]): string[] {
  return argv.map((arg) =>
    arg === '/app/dist/cli.js' ? CLI : /(^|\/)node$/.test(arg) ? process.execPath : arg,
  );
}

function runTo(
  argv: readonly string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(argv[0]!, argv.slice(1), { env, timeout: 30_000 }, (error, stdout, stderr) =>
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr }),
    );
  });
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

describe("the image's HEALTHCHECK against a real daemon", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ecs-sd-healthcheck-'));
    await writeFile(join(dir, 'server.crt'), SERVER_CERT);
    await writeFile(join(dir, 'server.key'), SERVER_KEY);
    const users = `basic_auth_users:\n  prometheus: ${JSON.stringify(bcrypt.hashSync('s3cret', 4))}\n`;
    const tls = 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n';
    await writeFile(join(dir, 'tls.yml'), tls);
    await writeFile(join(dir, 'auth.yml'), users);
    await writeFile(join(dir, 'tls-auth.yml'), `${tls}${users}`);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  /** The image's ENV with its paths in the temporary directory, plus what a user sets. */
  async function imageEnv(
    name: string,
    config: string,
    extra: Record<string, string>,
  ): Promise<Record<string, string>> {
    const configFile = join(dir, `${name}.yaml`);
    await writeFile(configFile, config);
    const env: Record<string, string> = {
      PATH: process.env['PATH'] ?? '',
      AWS_ACCESS_KEY_ID: 'x',
      AWS_SECRET_ACCESS_KEY: 'x',
    };
    for (const [key, value] of runtimeEnv()) env[key] = value;
    env['ECS_SD_CONFIG_FILE'] = configFile;
    env['ECS_SD_OUTPUT_DIRECTORY'] = join(dir, `${name}-out`);
    if (env['NODE_COMPILE_CACHE'] !== undefined) env['NODE_COMPILE_CACHE'] = join(dir, 'compile-cache');
    return { ...env, ...extra };
  }

  // Every source needs a Region; the endpoint answers nothing (health does not depend on AWS).
  const SOURCE = 'sources: [{ region: us-east-1, endpoint: "http://127.0.0.1:9" }]\n';
  const cases: {
    name: string;
    config?: string;
    env: (port: number) => Record<string, string>;
    port?: number;
  }[] = [
    { name: 'default (:9888)', env: () => ({}), port: 9888 },
    { name: 'another port', env: (port) => ({ ECS_SD_WEB_LISTEN_ADDRESS: `127.0.0.1:${port}` }) },
    {
      name: 'the listen address in the config file',
      config: 'web: { listen_address: ":PORT" }\n',
      env: () => ({}),
    },
    {
      name: 'TLS',
      env: (port) => ({
        ECS_SD_WEB_LISTEN_ADDRESS: `:${port}`,
        ECS_SD_WEB_CONFIG_FILE: join(dir, 'tls.yml'),
      }),
    },
    {
      name: 'basic auth',
      env: (port) => ({
        ECS_SD_WEB_LISTEN_ADDRESS: `:${port}`,
        ECS_SD_WEB_CONFIG_FILE: join(dir, 'auth.yml'),
      }),
    },
    {
      name: 'TLS and basic auth',
      env: (port) => ({
        ECS_SD_WEB_LISTEN_ADDRESS: `127.0.0.1:${port}`,
        ECS_SD_WEB_CONFIG_FILE: join(dir, 'tls-auth.yml'),
      }),
    },
  ];
  for (const { name, config, env: extra, port: fixed } of cases) {
    it(`${name}: passes while the daemon runs, fails once it stopped`, async () => {
      const port = fixed ?? (await freePort());
      const slug = name.replace(/\W+/g, '-');
      const env = await imageEnv(
        slug,
        `${SOURCE}${(config ?? '').replace('PORT', String(port))}`,
        extra(port),
      );
      const [command, ...args] = inHost(entrypoint());
      const daemon = spawn(command!, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      daemon.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      const exited = new Promise<number | null>((resolve) => daemon.on('exit', (code) => resolve(code)));
      try {
        await waitUntil(`the daemon listening on ${port}`, () => listening(port), { timeoutMs: 20_000 });
        const healthy = await runTo(inHost(healthcheckArgv()), env);
        assert.equal(healthy.code, 0, `${healthy.stdout}${healthy.stderr}\n${stderr}`);
        assert.match(
          healthy.stdout,
          /^ecs-sd at https?:\/\/127\.0\.0\.1:\d+ is (healthy|up \(401 without credentials)/,
        );
      } finally {
        daemon.kill('SIGTERM');
      }
      assert.equal(await exited, 0, stderr);
      const stopped = await runTo(inHost(healthcheckArgv()), env);
      assert.equal(stopped.code, 1);
      assert.match(
        stopped.stderr,
        /^ecs-sd healthcheck: nothing listens at https?:\/\/127\.0\.0\.1:\d+ \(connection refused\)\n$/,
      );
    });
  }
});
