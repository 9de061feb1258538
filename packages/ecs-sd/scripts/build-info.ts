/**
 * Writes dist/build-info.json after `tsc` compiled src/ to dist/: the git revision the build was
 * made from, from ECS_SD_REVISION (the container build passes it, having no .git) or `git
 * rev-parse HEAD`, else "unknown". Run by `npm run build`.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';

function gitRevision(): string | undefined {
  try {
    const out = execFileSync('git', ['rev-parse', 'HEAD'], {
      cwd: new URL('..', import.meta.url),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    return /^[0-9a-f]{40}$/.test(out) ? out : undefined;
  } catch {
    return undefined;
  }
}

const given = process.env['ECS_SD_REVISION']?.trim();
const revision =
  given !== undefined && given !== '' && given !== 'unknown' ? given : (gitRevision() ?? 'unknown');
writeFileSync(new URL('../dist/build-info.json', import.meta.url), `${JSON.stringify({ revision })}\n`);
process.stdout.write(`dist/build-info.json: revision ${revision}\n`);
