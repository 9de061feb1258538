/**
 * The file_sd outputs, written from the discovery state: never a cluster's partial targets. Writes
 * are chained, so an older content never lands after a newer one; a state whose version did not
 * change is not rendered again. Publishes asked for while a write is in progress wait as one: the
 * write that follows reads the state as it is then, so a cold start that reads ten clusters while a
 * big file is being written writes it a few times, not ten. Before the state is ready nothing is written, except on a first
 * start (`progressive`: no output file exists yet) the clusters read so far. Each file is rendered
 * and written on its own: one that fails is counted, logged and recorded for readiness, keeps its
 * previous content, and is tried again at the next publish.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { OutputConfig } from '../config/types.ts';
import { type Interval, intervalFileName } from '../lib/intervals.ts';
import { type Timer, UNREF_TIMER } from '../lib/timer.ts';
import type { Metrics } from '../metrics.ts';
import {
  FileSdError,
  type FileSdFailure,
  type FileSdMemo,
  type FileSdOptions,
  type FileSdResult,
  fileSdPaths,
  removeTemporaries,
  writeFileSd,
} from '../output/file-sd.ts';
import type { DiscoveryState } from './state.ts';

/**
 * A cluster read while a refresh still waits for others (a slow or hung one) is published at least
 * this long after (`publishSoonDelayMs`); a refresh that ends sooner publishes it itself.
 */
export const PUBLISH_AFTER_UPDATE_MS = 1000;

/** How much longer than the last complete refresh a refresh may take before its clusters read so far are written. */
export const USUAL_REFRESH_SLACK = 1.5;

/**
 * How long a cluster read during a refresh waits to be written (`publishSoon`): until the refresh
 * would end if it took as long as the last complete one (`usualRefreshMs`) with USUAL_REFRESH_SLACK
 * to spare, and at least PUBLISH_AFTER_UPDATE_MS. A refresh that ends about on time writes each file
 * once, not once per second of a throttled refresh (a churn of the 10,000-task fleet rewrote its
 * 23 MB three times); one held up by a slow or hung cluster writes the others' targets about when
 * it usually ends. Before any complete refresh, PUBLISH_AFTER_UPDATE_MS.
 */
export function publishSoonDelayMs(
  startedMs: number,
  nowMs: number,
  usualRefreshMs: number | undefined,
): number {
  if (usualRefreshMs === undefined) return PUBLISH_AFTER_UPDATE_MS;
  return Math.max(
    PUBLISH_AFTER_UPDATE_MS,
    Math.ceil(startedMs + usualRefreshMs * USUAL_REFRESH_SLACK - nowMs),
  );
}

/**
 * On a first start, a cluster read is published at once when the targets at least doubled since the
 * last progressive write, else at most this long after: the whole file is rewritten each time, so
 * a cold start of ten clusters writes it a few times (1, 2, 4, 8 clusters, then complete), not ten,
 * and no cluster read waits longer than this for its targets to be written.
 */
export const PROGRESSIVE_AFTER_MS = 5000;

/**
 * Why outputs are written: `ready` (the state is ready; otherwise nothing is written), `complete`
 * (the first complete refresh, about to mark it ready), `progressive` (a cold start's clusters so far).
 */
export type PublishWhen = 'ready' | 'complete' | 'progressive';

/** What the publisher writes from. */
export interface PublisherDeps {
  output: OutputConfig;
  /** The interval bucket whose file tells whether a previous run left outputs (`discovery.default_interval`). */
  defaultInterval: Interval;
  state: DiscoveryState;
  metrics: Metrics;
  log: Logger;
  now: () => number;
  /** Longest file_sd file in UTF-16 code units (default `MAX_OUTPUT_LENGTH`); tests make it small. */
  maxOutputLength?: number | undefined;
  /** Timer of `publishSoon` (tests pass a fake one). @default UNREF_TIMER */
  timer?: Timer | undefined;
}

/** Writes the file_sd outputs from the state, in order, each file on its own. */
export class Publisher {
  readonly #deps: PublisherDeps;
  readonly #layouts: FileSdOptions[];
  /** The last write; writes are chained so an older content never lands after a newer one. */
  #last: Promise<string[]> = Promise.resolve([]);
  /** The publish queued behind the write in progress, not started yet: a later one of the same kind joins it. */
  #queued: { when: PublishWhen; write: Promise<string[]> } | undefined;
  /** State version and files of the last complete write: an unchanged state is not rendered again. */
  #written: { version: number; files: string[] } | undefined;
  /** What the file_sd writes did to each file: files whose targets did not change are not rendered again. */
  readonly #memo: FileSdMemo = new Map();
  /** Set by the first write: temporary files a killed process left are removed once, before it. */
  #cleaned = false;
  /** Publishes clusters read while a refresh still waits for others (PUBLISH_AFTER_UPDATE_MS). */
  #soon: unknown;
  /** A cold start's publish waiting for PROGRESSIVE_AFTER_MS, and the targets of its last progressive write. */
  #progressive: { timer: unknown; written: number } = { timer: undefined, written: 0 };
  readonly #timer: Timer;
  #closed = false;

  constructor(deps: PublisherDeps) {
    this.#deps = deps;
    this.#timer = deps.timer ?? UNREF_TIMER;
    const { directory, file, format } = deps.output;
    this.#layouts = [
      ...(directory === undefined ? [] : [{ directory, format }]),
      ...(file === undefined ? [] : [{ file, format }]),
    ];
  }

  /** True when a previous run left an output file (the last good targets a failing cluster must keep). */
  hasPreviousOutput(): boolean {
    const { directory, file, format } = this.#deps.output;
    return [
      ...(file === undefined ? [] : [file]),
      ...(directory === undefined
        ? []
        : [join(directory, intervalFileName(this.#deps.defaultInterval, format))]),
    ].some((path) => existsSync(path));
  }

  /**
   * Writes the outputs after any write in progress (so writes land in order); never rejects. A
   * publish of the same kind already waiting for that write is not queued twice: both callers get
   * the one write, which reads the state when it starts.
   */
  publish(when: PublishWhen = 'ready'): Promise<string[]> {
    if (this.#queued?.when === when) return this.#queued.write;
    const queued = {
      when,
      write: this.#last
        .catch(() => [])
        .then(() => {
          if (this.#queued === queued) this.#queued = undefined;
          return this.#write(when);
        }),
    };
    this.#queued = queued;
    this.#last = queued.write;
    return queued.write;
  }

  /**
   * Publishes `delayMs` from now (see `publishSoonDelayMs`), unless a publish comes first
   * (`cancelSoon`); one already scheduled stays as it is.
   */
  publishSoon(delayMs: number = PUBLISH_AFTER_UPDATE_MS): void {
    if (this.#closed || this.#soon !== undefined) return;
    this.#soon = this.#timer.set(() => {
      this.#soon = undefined;
      if (!this.#closed) void this.publish().catch(() => {});
    }, delayMs);
  }

  /**
   * A cold start read a cluster: publishes its targets now when they at least doubled since the
   * last progressive write (the first cluster always), else within PROGRESSIVE_AFTER_MS.
   */
  publishProgressive(): void {
    if (this.#closed) return;
    const targets = this.#deps.state.clusters().reduce((sum, entry) => sum + entry.targets.length, 0);
    const progressive = this.#progressive;
    if (progressive.written === 0 || targets >= 2 * progressive.written) {
      if (progressive.timer !== undefined) this.#timer.clear(progressive.timer);
      progressive.timer = undefined;
      progressive.written = Math.max(targets, 1);
      void this.publish('progressive').catch(() => {});
      return;
    }
    progressive.timer ??= this.#timer.set(() => {
      progressive.timer = undefined;
      if (this.#closed) return;
      progressive.written = Math.max(
        this.#deps.state.clusters().reduce((sum, entry) => sum + entry.targets.length, 0),
        1,
      );
      void this.publish('progressive').catch(() => {});
    }, PROGRESSIVE_AFTER_MS);
  }

  /** Drops a publish `publishSoon` scheduled (the caller publishes now). */
  cancelSoon(): void {
    if (this.#soon !== undefined) this.#timer.clear(this.#soon);
    this.#soon = undefined;
  }

  /**
   * Drops a publish `publishProgressive` scheduled: only the first complete refresh's publish
   * replaces it. Until then a refresh's own publish writes nothing, so a source that never
   * answers must not keep the others' clusters from being written.
   */
  cancelProgressive(): void {
    if (this.#progressive.timer !== undefined) this.#timer.clear(this.#progressive.timer);
    this.#progressive.timer = undefined;
  }

  /** Schedules nothing more and resolves once the write in progress has ended. */
  async stop(): Promise<void> {
    this.#closed = true;
    this.cancelSoon();
    this.cancelProgressive();
    await this.#last.catch(() => {});
  }

  async #write(when: PublishWhen): Promise<string[]> {
    const { state, log } = this.#deps;
    const allowed =
      state.ready() || when === 'complete' || (when === 'progressive' && state.clusters().length > 0);
    if (!allowed || this.#layouts.length === 0) return [];
    if (!this.#cleaned) {
      this.#cleaned = true;
      await this.#removeTemporaries();
    }
    // Rendering every target to compare it with the files costs CPU at scale: skip it while nothing changed.
    const version = state.version;
    if (this.#written?.version === version && this.#written.files.every((path) => existsSync(path)))
      return [];
    const targets = state.targets();
    const written: string[] = [];
    const files: string[] = [];
    let failed = false;
    for (const layout of this.#layouts) {
      const result = await this.#writeLayout(layout, targets);
      for (const path of [...result.written, ...result.unchanged]) {
        if (state.file(path)?.ok === false) log.info({ file: path }, 'file_sd file written again');
        state.recordFileWritten(path, result.replaced.get(path) ?? 0);
      }
      for (const failure of result.failed) this.#fileFailed(failure);
      failed ||= result.failed.length > 0;
      written.push(...result.written);
      files.push(...result.written, ...result.unchanged);
    }
    // A failed file is tried again at the next publish, even if the state did not change.
    this.#written = failed ? undefined : { version, files };
    if (written.length > 0) log.info({ files: written, targets: targets.length }, 'file_sd written');
    return written;
  }

  async #writeLayout(
    layout: FileSdOptions,
    targets: ReturnType<DiscoveryState['targets']>,
  ): Promise<FileSdResult> {
    const { metrics, maxOutputLength } = this.#deps;
    try {
      return await writeFileSd(targets, {
        ...layout,
        onWrite: (path: string) => metrics.fileWrites.inc({ file: path }),
        memo: this.#memo,
        ...(maxOutputLength === undefined ? {} : { maxLength: maxOutputLength }),
      });
    } catch (err) {
      // Not a per-file failure (options the config should have refused): every file of the layout failed.
      const error =
        err instanceof FileSdError
          ? err
          : new FileSdError('ECS_SD_FILE_SD_WRITE', 'writing file_sd files failed', { cause: err });
      return {
        written: [],
        unchanged: [],
        replaced: new Map(),
        failed: pathsOf(layout).map((path) => ({ path, reason: 'render-error', error })),
      };
    }
  }

  #fileFailed(failure: FileSdFailure): void {
    const { state, metrics, log } = this.#deps;
    const { path, reason, error } = failure;
    const { cause } = error;
    const message = `${error.message}${cause instanceof Error ? `: ${cause.message}` : ''}`;
    metrics.fileWriteFailures.inc({ file: path, reason });
    const previous = state.file(path);
    // A warning when a file starts failing (or fails differently); the same failure at every later publish is debug.
    const level = previous?.ok === false && previous.message === message ? 'debug' : 'warn';
    state.recordFileFailed(path, reason, message, this.#deps.now());
    log[level]({ file: path, reason, err: error }, 'file_sd file not written, it keeps its previous targets');
  }

  /** Removes the temporary files a killed process left next to the outputs (exactly their names' pattern). */
  async #removeTemporaries(): Promise<void> {
    const { log } = this.#deps;
    const { removed, failed } = await removeTemporaries(this.#layouts.flatMap(pathsOf));
    if (removed.length > 0) log.info({ files: removed }, 'removed temporary files left by an earlier run');
    for (const { path, error } of failed)
      log.warn({ file: path, err: error }, 'removing temporary files left by an earlier run failed');
  }
}

function pathsOf(layout: FileSdOptions): string[] {
  try {
    return fileSdPaths(layout);
  } catch {
    return [layout.file ?? layout.directory ?? ''];
  }
}
