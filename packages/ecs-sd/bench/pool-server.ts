/**
 * One ecs-sd as the pool benches run it: the runtime of a config, its pools and the web app on a
 * loopback port, with a close() that stops all three.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '../src/config/types.ts';
import { createRuntime, type Runtime, type RuntimeDeps } from '../src/daemon/runtime.ts';
import { silentLogger } from '../src/log.ts';
import { createMetrics } from '../src/metrics.ts';
import { createDaemonPools, type DaemonPools, runtimePoolSources } from '../src/pools/daemon-pools.ts';
import { buildApp } from '../src/server/app.ts';

export interface PoolServer {
  runtime: Runtime;
  pools: DaemonPools;
  port: number;
  close(): Promise<void>;
}

export async function startPoolServer(
  config: Config,
  deps: Partial<Pick<RuntimeDeps, 'eventsOptions'>> = {},
): Promise<PoolServer> {
  const metrics = createMetrics({ defaultMetrics: false });
  const runtime = createRuntime(config, { log: silentLogger(), metrics, ...deps });
  const pools = createDaemonPools(runtimePoolSources(runtime), { metrics: metrics.pools });
  const server = createServer(
    buildApp({ view: runtime.state, registry: metrics.registry, pools: pools.assignments }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    runtime,
    pools,
    port: (server.address() as AddressInfo).port,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await runtime.stop();
    },
  };
}
