/** Finding executables, for tests and the demo that run Debian-packaged tools when installed. */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Where Debian puts the tools, searched after PATH so a minimal PATH still finds them. */
const SYSTEM_DIRS = ['/usr/bin', '/usr/sbin', '/usr/local/bin'];

/** The absolute path of an executable named `name` on PATH (then in /usr/bin, /usr/sbin, /usr/local/bin), or undefined. */
export function which(name: string): string | undefined {
  for (const dir of [...(process.env['PATH'] ?? '').split(delimiter), ...SYSTEM_DIRS]) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  return undefined;
}
