/**
 * Fills Node's on-disk compile cache (NODE_COMPILE_CACHE) with every module the daemon may load, so
 * a daemon started with the same cache reads V8 code caches instead of parsing the AWS SDK's
 * megabytes of code, and does not keep the parser's memory for them (RSS after start 143 -> 126 MiB
 * at 20 tasks). The container image runs it once at build time, as the user and with the node flags
 * the daemon runs with: Node keeps one cache per Node version, V8 flags and user id.
 *
 * Run: NODE_COMPILE_CACHE=<dir> node dist/compile-cache.js, or node dist/compile-cache.js <dir>.
 * It reads no AWS API and opens no port.
 */
import { readdirSync } from 'node:fs';
import module from 'node:module';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const DIST = fileURLToPath(new URL('.', import.meta.url));
const SELF = fileURLToPath(import.meta.url);

/** Every compiled module next to this one (dist/**\/*.js), this script aside, in a stable order. */
function compiledModules(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.js'))
    .map((entry) => join(entry.parentPath, entry.name))
    .filter((path) => path !== SELF)
    .sort();
}

/** Enables the cache in `directory` (unless NODE_COMPILE_CACHE already did) and returns where it writes. */
function enable(directory: string): string {
  const result = module.enableCompileCache(directory);
  const used = module.getCompileCacheDir();
  if (result.status === module.constants.compileCacheStatus.FAILED || used === undefined) {
    throw new Error(`cannot use compile cache directory ${directory}: ${result.message ?? 'unknown error'}`);
  }
  if (relative(resolve(directory), used).startsWith('..')) {
    throw new Error(
      `NODE_COMPILE_CACHE already points at ${used}, not at the directory given (${directory})`,
    );
  }
  // The bcrypt worker thread enables its own cache from the environment it inherits.
  process.env['NODE_COMPILE_CACHE'] = resolve(directory);
  return used;
}

/** Loads what the daemon loads, the lazy parts the way it loads them, and writes the cache out. */
async function warm(directory: string): Promise<{ modules: number; cache: string }> {
  const cache = enable(directory);
  const modules = compiledModules(DIST);
  // Importing starts nothing: cli.js runs only as the entry point, bcrypt-worker.js only in a worker.
  for (const path of modules) await import(pathToFileURL(path).href);
  // The SDK clients the daemon loads on first use, with its own `require` (CommonJS entries).
  const sdk = await import('./lib/sdk.ts');
  sdk.ec2Sdk();
  sdk.ssmSdk();
  sdk.sqsSdk();
  // The worker thread the daemon starts for basic auth, once, so it writes its own modules' caches.
  const { createWorkerVerifier, UNKNOWN_USER_HASH } = await import('./server/basic-auth.ts');
  const verifier = createWorkerVerifier();
  await verifier.compare('', UNKNOWN_USER_HASH);
  await verifier.close();
  module.flushCompileCache();
  return { modules: modules.length, cache };
}

const directory = process.argv[2] ?? process.env['NODE_COMPILE_CACHE'];
if (directory === undefined || directory === '') {
  process.stderr.write(
    'ecs-sd compile-cache: give the cache directory as NODE_COMPILE_CACHE or as the argument\n',
  );
  process.exitCode = 2;
} else {
  try {
    const { modules, cache } = await warm(directory);
    process.stdout.write(`compile cache ${cache}: ${modules} modules of ecs-sd and the AWS SDK clients\n`);
  } catch (err) {
    process.stderr.write(`ecs-sd compile-cache: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}
