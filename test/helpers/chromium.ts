import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Debian's chromium package; Playwright cannot download browsers on these machines. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Whether the browser is installed (.ci/run installs it with apt-get). */
export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM_PATH);
}

/** Chromium's flags for the tests and benches: nothing reaches the network on its own. */
export const CHROMIUM_FLAGS: readonly string[] = [
  // Running as root in CI containers needs it; the pages are our own.
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-default-apps',
  '--disable-sync',
  '--no-first-run',
  '--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication',
];

/** A headless Chromium with nothing reaching the network on its own. */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: [...CHROMIUM_FLAGS] });
}

/** Every request the page made, and the ones that left 127.0.0.1 (which must be none). */
export interface RequestLog {
  all: string[];
  offLoopback: string[];
}

/**
 * A context whose every request is logged; one that would leave 127.0.0.1 is aborted and
 * listed in `offLoopback`, so a test can assert that none did.
 */
export async function loopbackOnlyContext(browser: Browser): Promise<{ context: BrowserContext; page: Page; requests: RequestLog }> {
  const context = await browser.newContext();
  const requests: RequestLog = { all: [], offLoopback: [] };
  await context.route('**/*', async (route) => {
    const url = new URL(route.request().url());
    requests.all.push(url.href);
    const local = url.hostname === '127.0.0.1' || url.protocol === 'data:' || url.protocol === 'blob:';
    if (local) await route.continue();
    else {
      requests.offLoopback.push(url.href);
      await route.abort('blockedbyclient');
    }
  });
  // WebSockets are not routed: record their URLs too.
  context.on('page', (page) => page.on('websocket', (socket) => requests.all.push(socket.url())));
  const page = await context.newPage();
  page.on('websocket', (socket) => {
    requests.all.push(socket.url());
    if (!socket.url().startsWith('ws://127.0.0.1')) requests.offLoopback.push(socket.url());
  });
  return { context, page, requests };
}
