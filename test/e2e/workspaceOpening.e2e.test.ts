import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configForDataDir } from '../../electron/services/config';
import { createServices, type Services } from '../../electron/services/container';
import { buildRenderer, startBrowserShellFixture, type BrowserShellFixture } from '../helpers/browserShellFixture';
import { CHROMIUM_PATH, chromiumAvailable, loopbackOnlyContext } from '../helpers/chromium';
import { makeTempDir } from '../helpers/tempServices';

/*
 * Opening the workspace in real Chromium, through the browser shell: from a fresh page through
 * Start to the open workspace, the app's own code formats nothing through the page's locale
 * data (a time and a number formatted on the start screen cost its main thread 40-70 ms, which
 * Start waited for), and the clock still carries the time the interview started.
 */

/** Notes, in the page, every call that loads the locale data on first use (the toLocale* methods, localeCompare and Intl's formatters), with its stack. */
function countLocaleFormatting(): void {
  const page = globalThis as unknown as { __localeFormatting: string[]; Intl: Record<string, unknown> };
  page.__localeFormatting = [];
  const methods: [object, string[]][] = [
    [Number.prototype, ['toLocaleString']],
    [Date.prototype, ['toLocaleString', 'toLocaleTimeString', 'toLocaleDateString']],
    [Array.prototype, ['toLocaleString']],
    [String.prototype, ['localeCompare']],
  ];
  for (const [prototype, names] of methods) {
    const callable = prototype as Record<string, (...args: unknown[]) => unknown>;
    for (const name of names) {
      const original = callable[name]!;
      callable[name] = function (this: unknown, ...args: unknown[]) {
        page.__localeFormatting.push(`${name}\n${new Error().stack}`);
        return original.apply(this, args);
      };
    }
  }
  for (const name of ['NumberFormat', 'DateTimeFormat', 'Collator', 'PluralRules', 'RelativeTimeFormat', 'ListFormat']) {
    const original = page.Intl[name] as new (...args: unknown[]) => object;
    page.Intl[name] = new Proxy(original, {
      construct(target, args) {
        page.__localeFormatting.push(`Intl.${name}\n${new Error().stack}`);
        return Reflect.construct(target, args);
      },
      apply(target, self, args) {
        page.__localeFormatting.push(`Intl.${name}\n${new Error().stack}`);
        return Reflect.apply(target as unknown as (...args: unknown[]) => unknown, self, args);
      },
    });
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

  /**
   * The app's own calls. Monaco's are left out: its unicode highlighter builds a number
   * formatter as each editor is made, Monaco's own doing and not the app's to avoid.
   */
  const localeFormatting = async () => {
    const calls = await page.evaluate(() => (globalThis as unknown as { __localeFormatting: string[] }).__localeFormatting);
    return calls.filter((call) => !/\/assets\/(editor\.api|monacoSetup)-/.test(call.split('\n')[3] ?? ''));
  };

  it('formats nothing through the locale data, and the clock tells when the interview started', async () => {
    await page.goto(app.shell.url);
    await page.getByTestId('candidate-input').fill('cand_opening');
    // Long enough for the start screen's idle work (Monaco loaded, the editor warmed up).
    await page.waitForTimeout(2_500);
    await page.getByTestId('start-button').click();
    await page.locator('[data-testid="editor"] .monaco-editor textarea').waitFor({ timeout: 20_000 });
    expect(await page.getByTestId('assistant-usage').textContent()).toMatch(/^0 tokens/);
    // A few frames of the open workspace: the clock has ticked.
    await page.waitForTimeout(1_500);
    expect(await localeFormatting()).toEqual([]);

    const { id } = services.database.db.prepare<[], { id: string }>("SELECT id FROM sessions WHERE candidate_id = 'cand_opening'").get()!;
    const session = await services.sessions.getSession(id);
    const startedAt = await page.evaluate((iso) => {
      const time = new Date(iso);
      return [time.getHours(), time.getMinutes()].map((field) => String(field).padStart(2, '0')).join(':');
    }, session.startedAt);
    expect(await page.getByTestId('timer').getAttribute('title')).toBe(`Started at ${startedAt}`);
  });
});
