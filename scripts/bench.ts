/**
 * `npm run bench`: runs every package's benchmark script in its own process (so memory figures
 * are not mixed) and prints their tables one after another. Pass names to run a subset:
 * `npm run bench -- sim`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Benchmarks by name, in the order they run. */
const BENCHES: Record<string, string> = {
  sim: 'packages/ecs-sim/bench/sim.bench.ts',
  sd: 'packages/ecs-sd/bench/discovery.bench.ts',
  events: 'packages/ecs-sd/bench/events.bench.ts',
  web: 'packages/ecs-sd/bench/web.bench.ts',
  status: 'packages/ecs-sd/bench/status.bench.ts',
  pools: 'packages/ecs-sd/bench/pools.bench.ts',
  footprint: 'packages/ecs-sd/bench/footprint.bench.ts',
  'target-heap': 'packages/ecs-sd/bench/target-heap.bench.ts',
};

const wanted = process.argv.slice(2);
let failed = false;
for (const [name, file] of Object.entries(BENCHES)) {
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  if (!existsSync(new URL(file, `file://${root}`))) {
    console.log(`bench ${name}: ${file} not present, skipped`);
    continue;
  }
  console.log(`\n=== bench ${name} (${file})`);
  const run = spawnSync(process.execPath, ['--expose-gc', file], { cwd: root, stdio: 'inherit' });
  if (run.status !== 0) {
    console.error(`bench ${name} failed with exit code ${run.status}`);
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
