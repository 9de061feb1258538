/**
 * What this ecs-sd is: the package version, the git revision it was built from, and the Node.js it
 * runs on, for `--version`, the start-up log line and `ecs_sd_build_info`. The revision comes from
 * `build-info.json`, which the build writes next to the compiled code (scripts/build-info.ts);
 * run from source, or built where git could not tell, it is "unknown".
 */
import { readFileSync } from 'node:fs';

/** The labels of `ecs_sd_build_info`. */
export interface BuildInfo {
  version: string;
  /** The git commit the build was made from, or "unknown". */
  revision: string;
  /** `process.version`, e.g. v24.21.0. */
  nodejs: string;
}

/** The file the build writes next to dist/cli.js. */
export const BUILD_INFO_FILE = 'build-info.json';

function readJson(url: URL): Record<string, unknown> | undefined {
  try {
    return JSON.parse(readFileSync(url, 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

let cached: BuildInfo | undefined;

/** The build info, read once: package.json next to src/ or dist/, and the build's revision file. */
export function buildInfo(): BuildInfo {
  if (cached !== undefined) return cached;
  const pkg = readJson(new URL('../package.json', import.meta.url));
  const built = readJson(new URL(`./${BUILD_INFO_FILE}`, import.meta.url));
  const revision = built?.['revision'];
  cached = {
    version: typeof pkg?.['version'] === 'string' ? pkg['version'] : 'unknown',
    revision: typeof revision === 'string' && revision !== '' ? revision : 'unknown',
    nodejs: process.version,
  };
  return cached;
}
