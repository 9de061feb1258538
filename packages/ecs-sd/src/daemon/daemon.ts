/**
 * The refresh loop: every source refreshed every interval, never two refreshes at once, then the
 * file_sd outputs written from the state (only once a complete refresh has happened, so a file is
 * never partial). The timer is unref'd and cleared on stop.
 */
import type { Logger } from 'pino';
import { createSourceClients, type SourceClients } from '../aws/clients.ts';
import { SourceFetcher } from '../aws/fetch.ts';
import { type Config, needsServices, type SourceConfig } from '../config/types.ts';
import type { Metrics } from '../metrics.ts';
import { writeFileSd } from '../output/file-sd.ts';
import { refreshSource, type SourceRefreshResult } from './refresh.ts';
import { DiscoveryState } from './state.ts';

/** What one refresh of every source did, for logs and the `--once` summary. */
export interface RefreshSummary {
  /** True when every source and every cluster was read successfully. */
  complete: boolean;
  clusters: number;
  tasks: number;
  targets: number;
  /** Tasks without targets, by reason. */
  skipped: ReadonlyMap<string, number>;
  failures: string[];
  sources: SourceRefreshResult[];
  /** file_sd files rewritten by this refresh. */
  written: string[];
}

/** What the daemon is built from. */
export interface DaemonDeps {
  config: Config;
  log: Logger;
  metrics: Metrics;
  /** Creates a source's clients; tests and the CLI use the default (real SDK clients). */
  createClients?: (source: SourceConfig, metrics: Metrics) => SourceClients;
  now?: () => number;
}

/** Options of one refresh. */
export interface RefreshOptions {
  /** Only these cluster names (explain); undefined: every selected cluster. */
  onlyClusters?: ReadonlySet<string>;
  /** Write file_sd outputs after the refresh (default true). */
  writeOutputs?: boolean;
}

/** The running discovery: state, fetchers and the refresh timer. */
export class Daemon {
  readonly state = new DiscoveryState();
  readonly config: Config;
  readonly #log: Logger;
  readonly #metrics: Metrics;
  readonly #now: () => number;
  readonly #clients: SourceClients[] = [];
  readonly #fetchers: SourceFetcher[];
  #inFlight: Promise<RefreshSummary> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopped = true;

  constructor(deps: DaemonDeps) {
    this.config = deps.config;
    this.#log = deps.log.child({ component: 'daemon' });
    this.#metrics = deps.metrics;
    this.#now = deps.now ?? Date.now;
    const createClients = deps.createClients ?? createSourceClients;
    const includeServices = needsServices(deps.config);
    const awsLog = deps.log.child({ component: 'aws' });
    this.#fetchers = deps.config.sources.map((source) => {
      const clients = createClients(source, deps.metrics);
      this.#clients.push(clients);
      return new SourceFetcher(source, clients, deps.metrics, awsLog.child({ source: source.name }), {
        includeServices,
      });
    });
    const sources = deps.config.sources.map((source) => source.name);
    deps.metrics.setStateProvider(() => this.state.metricsState(sources));
  }

  /** Refreshes every source once; a call during a refresh waits for that refresh instead of overlapping it. */
  refresh(options: RefreshOptions = {}): Promise<RefreshSummary> {
    if (this.#inFlight !== undefined) return this.#inFlight;
    const run = this.#refresh(options).finally(() => {
      this.#inFlight = undefined;
    });
    this.#inFlight = run;
    return run;
  }

  async #refresh(options: RefreshOptions): Promise<RefreshSummary> {
    const started = this.#now();
    const sources = await Promise.all(
      this.#fetchers.map((fetcher) =>
        refreshSource({
          fetcher,
          state: this.state,
          options: this.config.discovery,
          metrics: this.#metrics,
          log: this.#log,
          now: this.#now,
          ...(options.onlyClusters === undefined ? {} : { onlyClusters: options.onlyClusters }),
        }),
      ),
    );
    const failures = sources.flatMap((source) => source.failures);
    const complete = failures.length === 0;
    if (complete && !this.state.ready()) {
      this.state.markReady();
      this.#log.info({ clusters: this.state.clusters().length }, 'first complete refresh: ready');
    }
    const written = options.writeOutputs === false ? [] : await this.#writeOutputs();
    const summary = this.#summary(complete, failures, sources, written);
    this.#log.debug(
      {
        clusters: summary.clusters,
        tasks: summary.tasks,
        targets: summary.targets,
        failures: failures.length,
        durationMs: this.#now() - started,
      },
      'refresh done',
    );
    return summary;
  }

  /** Writes the file_sd outputs from the state; before the first complete refresh nothing is written. */
  async #writeOutputs(): Promise<string[]> {
    const { directory, file, format } = this.config.output;
    if (!this.state.ready() || (directory === undefined && file === undefined)) return [];
    const targets = this.state.targets();
    const onWrite = (path: string) => this.#metrics.fileWrites.inc({ file: path });
    const written: string[] = [];
    if (directory !== undefined)
      written.push(...(await writeFileSd(targets, { directory, format, onWrite })).written);
    if (file !== undefined) written.push(...(await writeFileSd(targets, { file, format, onWrite })).written);
    if (written.length > 0) this.#log.info({ files: written, targets: targets.length }, 'file_sd written');
    return written;
  }

  #summary(
    complete: boolean,
    failures: string[],
    sources: SourceRefreshResult[],
    written: string[],
  ): RefreshSummary {
    const decisions = this.state.decisions();
    const skipped = new Map<string, number>();
    for (const decision of decisions) {
      const reason =
        decision.skip?.reason ??
        (decision.containers.every((container) => container.targets.length === 0)
          ? (decision.containers.flatMap((container) => container.skips)[0]?.reason ??
            'no-container-opted-in')
          : undefined);
      if (reason !== undefined) skipped.set(reason, (skipped.get(reason) ?? 0) + 1);
    }
    return {
      complete,
      clusters: this.state.clusters().length,
      tasks: decisions.length,
      targets: this.state.targets().length,
      skipped,
      failures,
      sources,
      written,
    };
  }

  /** Refreshes now and then every `refresh_interval` after each refresh ends (so refreshes never overlap). */
  start(): void {
    this.#stopped = false;
    const tick = () => {
      this.#timer = undefined;
      this.refresh()
        .catch((error: unknown) => this.#log.error({ err: error }, 'refresh failed'))
        .finally(() => {
          if (this.#stopped) return;
          this.#timer = setTimeout(tick, this.config.refreshIntervalMs);
          this.#timer.unref();
        });
    };
    tick();
  }

  /** True while a next refresh is scheduled or running under `start()`. */
  scheduled(): boolean {
    return !this.#stopped && (this.#timer !== undefined || this.#inFlight !== undefined);
  }

  /** Stops the timer, waits for a refresh in flight and closes the AWS clients. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#inFlight?.catch(() => {});
    for (const clients of this.#clients) clients.destroy();
  }
}

/** The one-line `--once` summary: clusters, tasks seen, targets, skipped by reason. */
export function formatSummary(summary: RefreshSummary): string {
  const skipped = [...summary.skipped.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([reason, count]) => `${reason}=${count}`)
    .join(' ');
  const failed = summary.failures.length > 0 ? `, ${summary.failures.length} failures` : '';
  return `${summary.clusters} clusters, ${summary.tasks} tasks, ${summary.targets} targets, skipped: ${skipped === '' ? 'none' : skipped}${failed}`;
}
