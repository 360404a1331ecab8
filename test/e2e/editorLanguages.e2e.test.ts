import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configForDataDir } from '../../electron/services/config';
import { createServices, type Services } from '../../electron/services/container';
import { buildRenderer, startBrowserShellFixture, type BrowserShellFixture } from '../helpers/browserShellFixture';
import { CHROMIUM_PATH, chromiumAvailable, loopbackOnlyContext, type RequestLog } from '../helpers/chromium';
import { makeTempDir } from '../helpers/tempServices';

/*
 * The editor in real Chromium, through the browser shell: the TypeScript worker (started
 * through renderer/src/monacoWorkers.ts, which the build puts in place of Monaco's own worker
 * module) reports a type error against the globals the code runs with and completes a member
 * list, every script and worker came from the page's own server, and a typed key is in the
 * editor's lines before the next frame.
 */

describe.skipIf(!chromiumAvailable())(`the editor in Chromium (${CHROMIUM_PATH})`, () => {
  let rendered: ReturnType<typeof buildRenderer>;
  let temp: ReturnType<typeof makeTempDir>;
  let services: Services;
  let app: BrowserShellFixture;
  let page: Page;
  let requests: RequestLog;
  const workers: string[] = [];

  beforeAll(async () => {
    rendered = buildRenderer();
    temp = makeTempDir();
    // The bank's first question is a TypeScript one: the workspace opens solution.ts.
    services = createServices(configForDataDir(temp.dir), { syncRunner: 'none', pickQuestion: () => 0 });
    app = await startBrowserShellFixture(services, rendered.rendererDir);
    ({ page, requests } = await loopbackOnlyContext(app.browser));
    page.on('worker', (worker) => workers.push(worker.url()));
  }, 180_000);

  afterAll(async () => {
    await app?.close();
    temp?.cleanup();
    rendered?.cleanup();
  });

  it('reports TypeScript errors and completes members, from workers the page serves itself', async () => {
    await page.goto(app.shell.url);
    await page.getByTestId('candidate-input').fill('cand_languages');
    await page.getByTestId('start-button').click();
    const editor = page.locator('[data-testid="editor"] .monaco-editor');
    await editor.waitFor({ timeout: 20_000 });
    expect(await page.getByTestId('language-select').inputValue()).toBe('typescript');

    await editor.click();
    await page.keyboard.press('ControlOrMeta+End');
    await page.keyboard.press('Enter');
    await page.keyboard.type("const count: number = 'three';", { delay: 20 });
    // A semantic error: only the TypeScript language service knows the string is not a number.
    await editor.locator('.squiggly-error').first().waitFor({ timeout: 30_000 });

    // The code runs in Node: console and URL are declared and the DOM is not, so `document` is
    // the second error (with the DOM's declarations there would be one; without Node's, four).
    // Each line goes in as one edit, so the service never checks a half-typed one.
    await page.keyboard.press('Enter');
    await page.keyboard.insertText("console.log(count, document.title, new URL('https://example.test/').host);");
    await expect.poll(() => editor.locator('.squiggly-error').count(), { timeout: 30_000 }).toBe(2);
    // Node's own globals are declared too: a third error, not a fourth for `process`.
    await page.keyboard.press('Enter');
    await page.keyboard.insertText('const again: string = 3; setImmediate(() => process.exit(0));');
    await expect.poll(() => editor.locator('.squiggly-error').count(), { timeout: 30_000 }).toBe(3);

    await page.keyboard.press('Enter');
    await page.keyboard.type('Math.', { delay: 20 });
    await page.keyboard.press('ControlOrMeta+Space');
    const suggestion = editor.locator('.suggest-widget.visible .monaco-list-row', { hasText: 'abs' });
    await suggestion.first().waitFor({ timeout: 30_000 });

    expect(workers.some((url) => url.includes('ts.worker'))).toBe(true);
    expect(workers.every((url) => new URL(url).origin === new URL(app.shell.url).origin)).toBe(true);
    expect(requests.offLoopback).toEqual([]);
  }, 120_000);

  it("puts each typed key into the editor's lines in the key's own task, before the next frame", async () => {
    const editor = page.locator('[data-testid="editor"] .monaco-editor');
    await editor.click();
    await page.keyboard.press('ControlOrMeta+End');
    await page.keyboard.press('Enter');
    await page.evaluate(() => {
      // Runs in the page; the tests are compiled without DOM types.
      const window = globalThis as unknown as {
        document: { addEventListener(type: string, listener: () => void, capture: boolean): void; querySelector(selector: string): unknown };
        requestAnimationFrame(callback: () => void): number;
        MutationObserver: new (callback: () => void) => { observe(target: unknown, options: Record<string, boolean>): void };
        typedKeys: { frameCame: boolean; drawnBeforeFrame: boolean | null }[];
      };
      // Per key: whether the lines changed before an animation frame asked for at keydown (in
      // the capture phase, before the editor sees the key) had come.
      const keys: typeof window.typedKeys = [];
      const waiting: typeof window.typedKeys = [];
      window.document.addEventListener(
        'keydown',
        () => {
          const key = { frameCame: false, drawnBeforeFrame: null as boolean | null };
          keys.push(key);
          waiting.push(key);
          window.requestAnimationFrame(() => (key.frameCame = true));
        },
        true,
      );
      new window.MutationObserver(() => {
        for (const key of waiting.splice(0)) key.drawnBeforeFrame = !key.frameCame;
      }).observe(window.document.querySelector('[data-testid="editor"] .view-lines'), { childList: true, subtree: true, characterData: true });
      window.typedKeys = keys;
    });
    await page.keyboard.type('let typed = 42;', { delay: 40 });
    await expect
      .poll(() => page.evaluate(() => (globalThis as unknown as { typedKeys: { drawnBeforeFrame: boolean | null }[] }).typedKeys.map((key) => key.drawnBeforeFrame)))
      .toEqual(new Array('let typed = 42;'.length).fill(true));
  }, 60_000);
});
