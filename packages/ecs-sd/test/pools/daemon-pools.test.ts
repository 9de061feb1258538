/** The daemon's pools: a member not in its pool is logged at most once a minute per pool and member. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { createLogger } from '../../src/log.ts';
import { createDaemonPools, NOT_A_MEMBER_LOG_INTERVAL_MS } from '../../src/pools/daemon-pools.ts';

it('logs a member that is not in its pool once a minute per pool and member, as JSON with the reason', () => {
  const lines: string[] = [];
  const log = createLogger({ level: 'info', format: 'json', sink: { write: (line) => lines.push(line) } });
  let now = 0;
  const pools = createDaemonPools(
    { config: () => ({ pools: [] }), targets: () => [], decisions: () => [] },
    { log, now: () => now },
  );
  pools.notAMember('agents', 'x', 'member "x" is not in pool "agents"');
  pools.notAMember('agents', 'x', 'member "x" is not in pool "agents"');
  pools.notAMember('agents', 'y', 'member "y" is not in pool "agents"');
  now = NOT_A_MEMBER_LOG_INTERVAL_MS - 1;
  pools.notAMember('agents', 'x', 'member "x" is not in pool "agents"');
  now = NOT_A_MEMBER_LOG_INTERVAL_MS;
  pools.notAMember('agents', 'x', 'member "x" is not in pool "agents"');
  const logged = lines.map((line) => JSON.parse(line) as Record<string, string>);
  assert.deepEqual(
    logged.map((line) => [line['level'], line['component'], line['pool'], line['member']]),
    [
      ['warn', 'pools', 'agents', 'x'],
      ['warn', 'pools', 'agents', 'y'],
      ['warn', 'pools', 'agents', 'x'],
    ],
  );
  assert.equal(logged[0]!['reason'], 'member "x" is not in pool "agents"');
});
