/**
 * How the container image runs the daemon, read from its Dockerfile, so the footprint bench runs
 * `dist/` the same way: the node flags of its ENTRYPOINT and the compile cache it warms at build time.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** The node flags of the container image: what its ENTRYPOINT puts between node and dist/cli.js. */
export function imageNodeFlags(dockerfile: string): string[] {
  const line = /^ENTRYPOINT\s+(\[.*\])\s*$/m.exec(dockerfile);
  if (line === null) return [];
  const words = JSON.parse(line[1]!) as string[];
  return words.slice(
    1,
    words.findIndex((word) => word.endsWith('cli.js')),
  );
}

/**
 * The environment the image's runtime stage (after its last FROM) sets with ENV `NAME=value`
 * instructions, later ones winning; values are taken as written (no quotes or variables).
 */
export function imageEnv(dockerfile: string): Record<string, string> {
  const joined = dockerfile.replace(/\\\n/g, ' ');
  const stage = joined.slice(joined.lastIndexOf('\nFROM '));
  const env: Record<string, string> = {};
  for (const [, assignments] of stage.matchAll(/^ENV\s+(.*)$/gm)) {
    for (const [, name, value] of assignments!.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=(\S*)/g))
      env[name!] = value!;
  }
  return env;
}

/** The image's settings of glibc's allocator (MALLOC_ARENA_MAX and the like): the bench's daemon runs with them too. */
export function imageAllocatorEnv(dockerfile: string): Record<string, string> {
  return Object.fromEntries(
    Object.entries(imageEnv(dockerfile)).filter(([name]) => name.startsWith('MALLOC_')),
  );
}

/** The image's NODE_COMPILE_CACHE, or undefined when it has none. */
export function imageCompileCache(dockerfile: string): string | undefined {
  return imageEnv(dockerfile)['NODE_COMPILE_CACHE'];
}

/** Where the bench's daemon finds its compile cache, and the line its header prints about it. */
export interface BenchCompileCache {
  directory: string | undefined;
  description: string;
}

/**
 * A compile cache warmed as the image warms its own (dist/compile-cache.js next to `cli`, with the
 * image's node flags) in a temporary directory; none when `setting` is `off` (ECS_SD_BENCH_COMPILE_CACHE),
 * the image has none, or the build measured predates dist/compile-cache.js.
 */
export async function benchCompileCache(
  dockerfile: string,
  cli: string,
  flags: readonly string[],
  setting: string | undefined,
): Promise<BenchCompileCache> {
  const inImage = imageCompileCache(dockerfile);
  if (setting === 'off') return { directory: undefined, description: 'off (ECS_SD_BENCH_COMPILE_CACHE=off)' };
  if (inImage === undefined) return { directory: undefined, description: 'off (the image sets none)' };
  const warmer = join(dirname(cli), 'compile-cache.js');
  if (!existsSync(warmer)) return { directory: undefined, description: `off (no ${warmer})` };
  const directory = await mkdtemp(join(tmpdir(), 'ecs-sd-compile-cache-'));
  const warm = spawnSync(process.execPath, [...flags, warmer], {
    env: { ...process.env, NODE_ENV: 'production', NODE_COMPILE_CACHE: directory },
    encoding: 'utf8',
  });
  if (warm.status !== 0) throw new Error(`${warmer} failed with exit code ${warm.status}: ${warm.stderr}`);
  return {
    directory,
    description: `on (warmed as the image warms its NODE_COMPILE_CACHE=${inImage}, in a temporary directory)`,
  };
}
