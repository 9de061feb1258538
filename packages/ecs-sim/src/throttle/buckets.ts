/** Burst capacity and refill rate of one token bucket. */
export interface BucketSpec {
  burst: number;
  refillPerSecond: number;
}

/**
 * Token buckets per category, from "Request throttling for the Amazon ECS API" / "... EC2 API" (REFERENCE.md).
 * Mutating categories and SSM are not published per call; the simulator gives them generous buckets.
 */
export const THROTTLE_CATEGORIES: Record<string, BucketSpec> = {
  'ecs-cluster-read': { burst: 50, refillPerSecond: 20 },
  'ecs-task-definition-read': { burst: 50, refillPerSecond: 20 },
  'ecs-cluster-resource-read': { burst: 100, refillPerSecond: 20 },
  'ecs-service-read': { burst: 100, refillPerSecond: 20 },
  'ecs-tag-read': { burst: 50, refillPerSecond: 20 },
  'ecs-mutate': { burst: 200, refillPerSecond: 100 },
  'ec2-describe': { burst: 100, refillPerSecond: 20 },
  'ec2-describe-unfiltered': { burst: 50, refillPerSecond: 10 },
  'ec2-mutate': { burst: 200, refillPerSecond: 100 },
  'ssm-read': { burst: 50, refillPerSecond: 20 },
};

const ECS_READ: Record<string, string> = {
  DescribeClusters: 'ecs-cluster-read',
  ListClusters: 'ecs-cluster-read',
  DescribeTaskDefinition: 'ecs-task-definition-read',
  ListTaskDefinitions: 'ecs-task-definition-read',
  ListTaskDefinitionFamilies: 'ecs-task-definition-read',
  DescribeTasks: 'ecs-cluster-resource-read',
  ListTasks: 'ecs-cluster-resource-read',
  DescribeContainerInstances: 'ecs-cluster-resource-read',
  ListContainerInstances: 'ecs-cluster-resource-read',
  DescribeServices: 'ecs-service-read',
  ListServices: 'ecs-service-read',
  ListTagsForResource: 'ecs-tag-read',
};

/** The throttling category of a call, or undefined when the call is not throttled (STS, SQS). */
export function throttleCategory(
  service: string,
  operation: string,
  unfilteredUnpaginated: boolean,
): string | undefined {
  switch (service) {
    case 'ecs':
      return ECS_READ[operation] ?? 'ecs-mutate';
    case 'ec2':
      if (operation.startsWith('Describe')) {
        const heavy = operation === 'DescribeInstances' || operation === 'DescribeNetworkInterfaces';
        return heavy && unfilteredUnpaginated ? 'ec2-describe-unfiltered' : 'ec2-describe';
      }
      return 'ec2-mutate';
    case 'ssm':
      return 'ssm-read';
    default:
      return undefined;
  }
}

/** Throttling settings: off, or on with burst and refill multiplied by `scale`. */
export interface ThrottleSettings {
  enabled: boolean;
  scale: number;
}

/** Token buckets per account and category on a monotonic clock; a call that finds an empty bucket is throttled. */
export class Throttler {
  #settings: ThrottleSettings;
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  readonly #now: () => number;

  constructor(settings: ThrottleSettings, now: () => number = () => performance.now()) {
    this.#settings = { ...settings };
    this.#now = now;
  }

  /** Current settings. */
  get settings(): ThrottleSettings {
    return { ...this.#settings };
  }

  /** Changes settings and refills every bucket. */
  configure(settings: Partial<ThrottleSettings>): void {
    this.#settings = { ...this.#settings, ...settings };
    this.#buckets.clear();
  }

  /** Takes one token; false when the caller must get a throttling error. */
  take(accountId: string, category: string | undefined): boolean {
    if (!this.#settings.enabled || category === undefined) return true;
    const spec = THROTTLE_CATEGORIES[category];
    if (!spec) return true;
    const burst = spec.burst * this.#settings.scale;
    const rate = spec.refillPerSecond * this.#settings.scale;
    const key = `${accountId}/${category}`;
    const now = this.#now();
    let b = this.#buckets.get(key);
    if (!b) {
      b = { tokens: burst, at: now };
      this.#buckets.set(key, b);
    }
    b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 1000) * rate);
    b.at = now;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }
}
