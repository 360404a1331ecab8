import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configForDataDir } from '../../electron/services/config';
import { createServices, type Services } from '../../electron/services/container';
import { buildRenderer, startBrowserShellFixture, type BrowserShellFixture } from '../helpers/browserShellFixture';
import { CHROMIUM_PATH, chromiumAvailable, loopbackOnlyContext } from '../helpers/chromium';
import { makeTempDir } from '../helpers/tempServices';

/*
 * Opening the workspace in real Chromium, through the browser shell: the start screen and the
 * workspace's first render format nothing through the page's locale data (its first use costs
 * the main thread 40-70 ms, which Start would wait for), and the clock still gives the start
 * time in the candidate's locale once the pointer comes over it.
 */

/** Counts, in the page, every call that loads the locale data on first use. */
function countLocaleFormatting(): void {
  const page = globalThis as unknown as { __localeFormatting: string[] };
  page.__localeFormatting = [];
  const prototypes = [Number.prototype, Date.prototype] as unknown as Record<string, (...args: unknown[]) => string>[];
  for (const prototype of prototypes) {
    for (const method of ['toLocaleString', 'toLocaleTimeString', 'toLocaleDateString']) {
      const original = prototype[method]!;
      prototype[method] = function (this: unknown, ...args: unknown[]) {
        page.__localeFormatting.push(method);
        return original.apply(this, args);
      };
    }
  }
}

describe.skipIf(!chromiumAvailable())(`opening the workspace in Chromium (${CHROMIUM_PATH})`, () => {
  let rendered: ReturnType<typeof buildRenderer>;
  let temp: ReturnType<typeof makeTempDir>;
  let services: Services;
  let app: BrowserShellFixture;
  let page: Page;

  beforeAll(async () => {
    rendered = buildRenderer();
    temp = makeTempDir();
    services = createServices(configForDataDir(temp.dir), { syncRunner: 'none', pickQuestion: () => 0 });
    app = await startBrowserShellFixture(services, rendered.rendererDir);
    ({ page } = await loopbackOnlyContext(app.browser));
    await page.addInitScript(countLocaleFormatting);
  }, 180_000);

  afterAll(async () => {
    await app?.close();
    temp?.cleanup();
    rendered?.cleanup();
  });

  const localeFormatting = () => page.evaluate(() => (globalThis as unknown as { __localeFormatting: string[] }).__localeFormatting);

  it('formats nothing through the locale data until the candidate points at the clock', async () => {
    await page.goto(app.shell.url);
    await page.getByTestId('candidate-input').fill('cand_opening');
    // Long enough for the start screen's idle work (Monaco loaded, the editor warmed up).
    await page.waitForTimeout(2_500);
    await page.getByTestId('start-button').click();
    await page.locator('[data-testid="editor"] .monaco-editor textarea').waitFor({ timeout: 20_000 });
    expect(await page.getByTestId('assistant-usage').textContent()).toContain('0 tokens');
    // A few frames of the open workspace: the clock has ticked.
    await page.waitForTimeout(1_500);
    expect(await localeFormatting()).toEqual([]);

    const timer = page.getByTestId('timer');
    expect(await timer.getAttribute('title')).toBeNull();
    await timer.hover();
    const session = services.database.db.prepare<[], { started_at: number }>("SELECT started_at FROM sessions WHERE candidate_id = 'cand_opening'").get()!;
    const startedAt = await page.evaluate((at) => new Date(at).toLocaleTimeString(), session.started_at);
    await expect.poll(() => timer.getAttribute('title')).toBe(`Started ${startedAt}`);
  });
});
