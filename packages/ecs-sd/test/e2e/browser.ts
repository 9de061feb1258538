/**
 * Headless Chromium for the status page's browser test: Debian's `chromium` driven by
 * playwright-core, which never downloads a browser. Each launch gets a fresh profile directory,
 * removed on close, and no network beyond what the page asks of loopback.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

/** Chromium's flags: headless, no sandbox (CI runs as root), and nothing that phones home. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A running browser: its context (one profile) and a close that removes the profile. */
export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Launches `executablePath` with a fresh `--user-data-dir`, the given basic-auth credentials and viewport. */
export async function launchChromium(
  executablePath: string,
  options: {
    httpCredentials?: { username: string; password: string };
    viewport?: { width: number; height: number };
  } = {},
): Promise<Browser> {
  const profile = await mkdtemp(join(tmpdir(), 'ecs-sd-chromium-'));
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: options.viewport ?? { width: 1280, height: 900 },
      ...(options.httpCredentials && { httpCredentials: options.httpCredentials }),
      timeout: 30_000,
    });
    return {
      context,
      async close() {
        await context.close().catch(() => {});
        await rm(profile, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(profile, { recursive: true, force: true });
    throw error;
  }
}

/** The messages a page logs as errors (a script failure, a resource the Content-Security-Policy refused), as they come. */
export function pageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  return errors;
}

/**
 * Opens `url` and returns the milliseconds from navigation start to the page's "rendered" marker
 * (`performance.mark('ecs-sd-rendered')`, set by its script once the document is parsed), with
 * its HTTP status, when its last byte arrived and its size.
 */
export async function openTimed(
  page: Page,
  url: string,
): Promise<{ status: number; renderedMs: number; responseEndMs: number; bytes: number }> {
  const response = await page.goto(url, { waitUntil: 'load' });
  await page.waitForFunction('document.documentElement.dataset.rendered === "true"', undefined, {
    timeout: 10_000,
  });
  const renderedMs = (await page.evaluate(
    'performance.getEntriesByName("ecs-sd-rendered")[0].startTime',
  )) as number;
  // When the last byte of the page arrived: the daemon's share of the time.
  const [responseEndMs, bytes] = (await page.evaluate(
    '(([n]) => [n.responseEnd, n.transferSize])(performance.getEntriesByType("navigation"))',
  )) as [number, number];
  return { status: response?.status() ?? 0, renderedMs, responseEndMs, bytes };
}
