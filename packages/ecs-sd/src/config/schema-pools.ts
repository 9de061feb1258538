/**
 * The `pools` and `ha` sections: scraper pools that share the targets among their members
 * (docs/pools.md), and how many ecs-sd replicas share one rate budget.
 */
import { z } from 'zod';
import { interval, show } from './schema-values.ts';

/** Most replicas of ecs-sd behind one name: each keeps 1/replicas of the rate budget, which must stay usable. */
export const MAX_HA_REPLICAS = 10;
/** Most members a static list names, and most pools: far more than anyone runs, small enough to bound the work. */
export const MAX_STATIC_MEMBERS = 1000;
export const MAX_POOLS = 100;

const POOL_NAME = /^[a-zA-Z0-9_-]+$/;
const NAME_LIST = z.array(z.string().min(1)).min(1);

/** The ECS tasks that are members: RUNNING tasks of one service or one family in one cluster a source reads. */
export const PoolEcsMembersSchema = z
  .strictObject({
    source: z.string().min(1).optional().describe('source that reads the cluster; default: the only source'),
    cluster: z.string().min(1).describe('cluster name of the scraper tasks'),
    family: z.string().min(1).optional().describe('task definition family of the scraper tasks'),
    service: z.string().min(1).optional().describe('service name of the scraper tasks'),
  })
  .superRefine((ecs, ctx) => {
    if ((ecs.family === undefined) === (ecs.service === undefined)) {
      ctx.addIssue({
        code: 'custom',
        message: `members.ecs names ${ecs.family === undefined ? 'neither family nor service' : 'both family and service'}, expected exactly one of them`,
      });
    }
  });

/** One scraper pool. */
export const PoolSchema = z
  .strictObject({
    name: z
      .string()
      .regex(POOL_NAME, { error: 'expected letters, digits, _ and -' })
      .describe('name of the pool: /http-sd?pool=NAME&member=ID'),
    members: z
      .strictObject({
        ecs: PoolEcsMembersSchema.optional().describe(
          'RUNNING tasks of a service or family; member id: the task id',
        ),
        static: z
          .array(z.string().regex(POOL_NAME, { error: 'expected letters, digits, _ and -' }))
          .max(MAX_STATIC_MEMBERS)
          .optional()
          .describe('names of scrapers outside ECS; member id: the name'),
      })
      .describe('who scrapes: ECS tasks and/or static names'),
    replication: z
      .number()
      .int({ error: 'expected a whole number of members' })
      .min(1, { error: 'expected at least 1 member per target' })
      .max(MAX_STATIC_MEMBERS)
      .default(1)
      .describe('members that scrape each target (every member when the pool has fewer)'),
    targets: z
      .strictObject({
        job: NAME_LIST.optional().describe('jobs the pool takes; default: every job'),
        interval: z.array(interval).min(1).optional().describe('interval buckets; default: every one'),
        cluster: NAME_LIST.optional().describe('clusters of the targets; default: every cluster'),
      })
      .optional()
      .describe('which targets the pool shares, as http_sd job/interval/cluster; default: all'),
  })
  .superRefine((pool, ctx) => {
    if (pool.members.ecs === undefined && (pool.members.static ?? []).length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['members'],
        message: `pool ${show(pool.name)} has no members, expected members.ecs and/or a members.static list`,
      });
    }
  });

/** ecs-sd replicas behind one name. */
export const HaSchema = z.strictObject({
  replicas: z
    .number()
    .int({ error: 'expected a whole number of replicas' })
    .min(1)
    .max(MAX_HA_REPLICAS)
    .default(1)
    .describe('ecs-sd replicas reading the same accounts: each uses 1/replicas of rate_budget'),
});

/** The `pools` list. */
export const PoolsSchema = z.array(PoolSchema).max(MAX_POOLS);

/** The `pools` section as validated. */
export type PoolFile = z.output<typeof PoolSchema>;
