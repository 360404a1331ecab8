import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileSettingsStore, fileSettingsPath } from '../../electron/browserShell/fileSettingsStore';
import { configForDataDir } from '../../electron/services/config';
import { createServices, type Services } from '../../electron/services/container';
import { withSavedSettings } from '../../electron/services/settings/withSavedSettings';
import { startAnthropicLoopbackServer, type AnthropicLoopbackServer, type LoopbackRequest } from '../helpers/anthropicLoopbackServer';
import { buildRenderer, startBrowserShellFixture, type BrowserShellFixture } from '../helpers/browserShellFixture';
import { CHROMIUM_PATH, chromiumAvailable, loopbackOnlyContext, type RequestLog } from '../helpers/chromium';
import { makeTempDir } from '../helpers/tempServices';

/*
 * The settings screen in real Chromium, through the browser shell, against real services and
 * the loopback Anthropic server (which accepts only KEY): the assistant starts without a key;
 * the key is saved from the workspace's Settings, shown masked, and the very next question is
 * answered with it, with no restart. Every WebSocket frame the page received is kept, and
 * the full key must be in none of them. Screenshots go to test-results/e2e/.
 */

const ROOT = join(import.meta.dirname, '../..');
const SCREENSHOTS = join(ROOT, 'test-results/e2e');
const KEY = 'sk-ant-api03-e2e-settings-key-Zq7w';
const ANSWER = 'Begin with the simplest case.';
const S3_SECRET = 'e2e-s3-secret-access-key-Yp4k';

/** The key a request to the model server carried (the SDK sends it as x-api-key or as a bearer token). */
function keySentWith(request: LoopbackRequest): string | undefined {
  const header = (name: string) => [request.headers[name]].flat()[0];
  return header('x-api-key') ?? header('authorization')?.replace(/^Bearer /, '');
}

describe.skipIf(!chromiumAvailable())(`the settings screen in Chromium (${CHROMIUM_PATH})`, () => {
  let rendered: ReturnType<typeof buildRenderer>;
  let temp: ReturnType<typeof makeTempDir>;
  let anthropic: AnthropicLoopbackServer;
  let services: Services;
  let app: BrowserShellFixture;
  let page: Page;
  let requests: RequestLog;
  /** Every WebSocket frame the page received (everything the main side ever sent it), and every one it sent. */
  const framesReceived: string[] = [];
  const framesSent: string[] = [];

  beforeAll(async () => {
    rendered = buildRenderer();
    mkdirSync(SCREENSHOTS, { recursive: true });
    temp = makeTempDir();
    anthropic = await startAnthropicLoopbackServer({ apiKey: KEY, defaultAnswer: { kind: 'text', text: ANSWER, deltas: 4, delayMs: 20 } });
    // As the browser shell starts (electron/browserShell/main.ts): no key in the environment,
    // saved settings in a 0600 file in the data folder, the store handed to the IPC host.
    const environment = configForDataDir(temp.dir, { ai: { apiKey: null, baseURL: anthropic.url, model: 'claude-sonnet-4-6' } });
    const store = new FileSettingsStore(fileSettingsPath(temp.dir));
    services = createServices(withSavedSettings(environment, store.read()), { syncRunner: 'none', pickQuestion: () => 0 });
    app = await startBrowserShellFixture(services, rendered.rendererDir, { settings: { store, environment } });
    ({ page, requests } = await loopbackOnlyContext(app.browser));
    page.on('websocket', (socket) => {
      socket.on('framereceived', ({ payload }) => framesReceived.push(payload.toString()));
      socket.on('framesent', ({ payload }) => framesSent.push(payload.toString()));
    });
  }, 180_000);

  afterAll(async () => {
    await app?.close();
    await anthropic?.close();
    temp?.cleanup();
    rendered?.cleanup();
  });

  const shot = (name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });

  it('saves a key from the workspace, shows it masked, never sends it back, and the next answer uses it', async () => {
    await page.goto(app.shell.url);

    // From the Start screen: no key yet, and the file store says plainly it is weaker than the keychain.
    await page.getByTestId('open-settings').click();
    await page.getByTestId('settings-screen').waitFor();
    await expect.poll(() => page.getByTestId('api-key-status').getAttribute('data-source')).toBe('none');
    expect(await page.getByTestId('settings-protection').getAttribute('data-kind')).toBe('file');
    expect(await page.getByTestId('settings-protection').textContent()).toMatch(/weaker than the desktop app/);
    expect(await page.getByTestId('storage-applies').textContent()).toMatch(/next start/);
    // A malformed key is refused, naming the field, and nothing is saved.
    await page.getByTestId('api-key-input').fill('not-a-key');
    await page.getByTestId('save-settings').click();
    await expect.poll(() => page.getByTestId('settings-message').getAttribute('data-kind')).toBe('error');
    expect(await page.getByTestId('settings-message').textContent()).toMatch(/^API key: must be an Anthropic API key/);
    await shot('settings-1-start-invalid');
    await page.getByTestId('close-settings').click();

    // The interview starts without a key: the assistant says it is unavailable.
    await page.getByTestId('candidate-input').fill('cand_settings');
    await page.getByTestId('start-button').click();
    await page.locator('[data-testid="editor"] .monaco-editor').waitFor({ timeout: 20_000 });
    await expect.poll(() => page.getByTestId('assistant-status').isVisible(), { timeout: 10_000 }).toBe(true);

    // Settings from the workspace, which stays mounted underneath.
    await page.getByTestId('open-settings').click();
    await page.getByTestId('api-key-input').fill(KEY);
    await page.getByTestId('save-settings').click();
    await expect.poll(() => page.getByTestId('settings-message').getAttribute('data-kind'), { timeout: 10_000 }).toBe('success');
    expect(await page.getByTestId('settings-message').textContent()).toMatch(/next answer/);
    expect(await page.getByTestId('api-key-masked').textContent()).toBe(`••••${KEY.slice(-4)}`);
    expect(await page.getByTestId('api-key-status').getAttribute('data-source')).toBe('saved');
    // The typed key left the field once saved.
    expect(await page.getByTestId('api-key-input').inputValue()).toBe('');
    await shot('settings-2-saved-masked');
    await page.getByTestId('close-settings').click();

    // No restart: the assistant is available again, and its next request carries the new key.
    await expect.poll(() => page.getByTestId('assistant-status').count(), { timeout: 10_000 }).toBe(0);
    await page.getByTestId('assistant-input').fill('How should I start?');
    await page.getByTestId('assistant-send').click();
    await expect.poll(() => page.getByTestId('assistant-answer').getAttribute('data-state'), { timeout: 15_000 }).toBe('done');
    expect(await page.getByTestId('assistant-answer').textContent()).toContain(ANSWER);
    expect(anthropic.requests).toHaveLength(1);
    expect(keySentWith(anthropic.requests[0]!)).toBe(KEY);
    await shot('settings-3-assistant-answered');

    // Reopened, the screen shows the key masked, as saved; the file holds it, readable by this user only.
    await page.getByTestId('open-settings').click();
    await expect.poll(() => page.getByTestId('api-key-masked').textContent()).toBe(`••••${KEY.slice(-4)}`);
    if (process.platform !== 'win32') expect(statSync(fileSettingsPath(temp.dir)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(fileSettingsPath(temp.dir), 'utf8'))).toMatchObject({ settings: { anthropicApiKey: KEY } });

    // A bucket with its key pair: saved, its secret masked, and applied at the next start (this run stays local).
    await page.getByTestId('bucket-input').fill('interviewlm-proctor');
    await page.getByTestId('region-input').fill('eu-west-3');
    await page.getByTestId('access-key-id-input').fill('AKIAE2EEXAMPLE');
    await page.getByTestId('secret-access-key-input').fill(S3_SECRET);
    await page.getByTestId('save-settings').click();
    await expect.poll(() => page.getByTestId('restart-needed').isVisible(), { timeout: 10_000 }).toBe(true);
    expect(await page.getByTestId('settings-message').textContent()).toMatch(/next start/);
    expect(await page.getByTestId('secret-access-key-input').inputValue()).toBe('');
    expect(await page.getByTestId('secret-access-key-input').getAttribute('placeholder')).toBe(`••••${S3_SECRET.slice(-4)} saved; empty keeps it`);
    expect(services.config.storage.bucket).toBeUndefined();
    await shot('settings-4-bucket-saved');
    await page.getByTestId('close-settings').click();

    // The page sent the key once (the save), and received it never: not in an answer, not in an event.
    expect(framesSent.filter((frame) => frame.includes(KEY))).toHaveLength(1);
    expect(framesReceived.length).toBeGreaterThan(10);
    expect(framesReceived.some((frame) => frame.includes('settingsChanged'))).toBe(true);
    expect(framesReceived.some((frame) => frame.includes('aiChunk'))).toBe(true);
    expect(framesReceived.filter((frame) => frame.includes(KEY) || frame.includes(S3_SECRET))).toEqual([]);
    expect(await page.content()).not.toContain(KEY);
    expect(await page.content()).not.toContain(S3_SECRET);
    expect(requests.offLoopback).toEqual([]);
  }, 240_000);
});
