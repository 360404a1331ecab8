// Electron cannot run here (no binary; `require('electron')` throws under Node): the main
// process entry is run against a fake 'electron' module (fakeElectronMain.ts), with the real
// services on a temp folder, to check its lifecycle.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { configForDataDir } from '../../../electron/services/config';
import { createServices } from '../../../electron/services/container';
import { createIpcHost } from '../../../electron/ipc/handlers';
import { createInMemoryTransport } from '../../../electron/ipc/inMemoryTransport';
import { createIpcClient } from '../../../shared/ipc/client';
import { contentSecurityPolicy } from '../../../electron/main/contentSecurityPolicy';
import { eventChannelName, listChannels } from '../../../shared/ipc/channel';
import { ipcContract } from '../../../shared/ipc/contract';
import { FakeWebContents, createFakeElectron, type FakeElectron } from './fakeElectronMain';
import { fakeSafeStorage } from './fakeSafeStorage';
import { fromMainFrame } from './fakeIpcMain';

const fake = vi.hoisted(() => ({ electron: undefined as unknown as FakeElectron }));

vi.mock('electron', () => ({
  get app() {
    return fake.electron.app;
  },
  get BrowserWindow() {
    return fake.electron.BrowserWindow;
  },
  get ipcMain() {
    return fake.electron.ipcMain;
  },
  get dialog() {
    return fake.electron.dialog;
  },
  get session() {
    return fake.electron.session;
  },
  get safeStorage() {
    return fake.electron.safeStorage;
  },
}));

let userData: string;

beforeEach(() => {
  userData = mkdtempSync(join(tmpdir(), 'interviewlm-main-'));
  fake.electron = createFakeElectron(userData, mkdtempSync(join(tmpdir(), 'interviewlm-app-')));
  // The shell reads its config from the environment: start from a clean one.
  vi.stubEnv('INTERVIEWLM_DATA_DIR', '');
  vi.stubEnv('INTERVIEWLM_DURABILITY', '');
  vi.stubEnv('INTERVIEWLM_SQLITE_BINDING', '');
  vi.stubEnv('ELECTRON_RENDERER_URL', '');
  vi.resetModules();
});

afterEach(() => {
  // Whatever a test left running is stopped, so the data folder's lock is released.
  fake.electron.app.emit('before-quit');
  vi.unstubAllEnvs();
  rmSync(userData, { recursive: true, force: true });
  rmSync(fake.electron.app.getAppPath(), { recursive: true, force: true });
});

/** Loads the main process entry, lets Electron become ready, and waits for start to settle. */
async function launch(): Promise<FakeElectron> {
  await import('../../../electron/main/index');
  fake.electron.app.becomeReady();
  await new Promise((resolve) => setTimeout(resolve, 20));
  return fake.electron;
}

const onlyWindow = (electron: FakeElectron) => {
  expect(electron.BrowserWindow.created).toHaveLength(1);
  return electron.BrowserWindow.created[0]!;
};

describe('the main process', () => {
  it('opens one sandboxed, isolated window on the built page, with its preload', async () => {
    const electron = await launch();
    const window = onlyWindow(electron);
    expect(window.options.webPreferences).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true });
    expect(String((window.options.webPreferences as { preload: string }).preload)).toMatch(/preload[\\/]index\.cjs$/);
    expect(window.loaded).toHaveLength(1);
    expect(window.loaded[0]!.file).toMatch(/renderer[\\/]index\.html$/);
  });

  it('serves every contract channel to its page, on the data folder from userData', async () => {
    const electron = await launch();
    const pageUrl = pathToFileURL(onlyWindow(electron).loaded[0]!.file!).href;
    expect([...electron.ipcMain.handlers.keys()].sort()).toEqual(listChannels(ipcContract).map(({ name }) => name).sort());
    await expect(electron.ipcMain.invoke(fromMainFrame(pageUrl), 'app:getInfo')).resolves.toMatchObject({
      ok: true,
      value: { name: 'InterviewLM', version: '0.1.0-test', dataDir: userData },
    });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    await expect(electron.ipcMain.invoke(fromMainFrame('https://attacker.example/'), 'app:getInfo')).resolves.toMatchObject({ ok: false });
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('refused IPC app:getInfo'));
    warn.mockRestore();
  });

  it('forwards contract events to the window', async () => {
    const electron = await launch();
    const window = onlyWindow(electron);
    const from = fromMainFrame(pathToFileURL(window.loaded[0]!.file!).href);
    const created = (await electron.ipcMain.invoke(from, 'sessions:createSession', 'cand_1')) as { value: { id: string } };
    await electron.ipcMain.invoke(from, 'sessions:closeSession', created.value.id, 'COMPLETED');
    expect(window.webContents.sent).toEqual([{ channel: eventChannelName('sessionClosed'), payload: { sessionId: created.value.id, status: 'COMPLETED' } }]);
  });

  it('puts the CSP on every response and refuses permissions', async () => {
    const { session } = await launch();
    const result: unknown[] = [];
    session.defaultSession.headersListener!({ responseHeaders: { 'content-type': ['text/html'] } }, (response: unknown) => result.push(response));
    expect(result).toEqual([{ responseHeaders: { 'content-type': ['text/html'], 'Content-Security-Policy': [contentSecurityPolicy()] } }]);
    const granted: boolean[] = [];
    session.defaultSession.permissionRequestHandler!({}, 'media', (allow: boolean) => granted.push(allow));
    expect(granted).toEqual([false]);
  });

  it('hardens every web contents the app creates', async () => {
    const electron = await launch();
    const contents = new FakeWebContents();
    electron.app.emit('web-contents-created', {}, contents);
    let prevented = false;
    contents.emit('will-navigate', { preventDefault: () => (prevented = true) }, 'https://example.com/');
    expect(prevented).toBe(true);
    expect(contents.windowOpenHandler?.({ url: 'https://example.com/' })).toEqual({ action: 'deny' });
  });

  it('focuses the existing window when a second instance starts', async () => {
    const electron = await launch();
    const window = onlyWindow(electron);
    window.minimized = true;
    electron.app.emit('second-instance', {}, [], '/');
    expect(window.calls).toEqual(['restore', 'show', 'focus']);
  });

  it('quits at once, touching nothing, when another instance holds the lock', async () => {
    fake.electron.app.hasLock = false;
    const electron = await launch();
    expect(electron.app.quitCalls).toHaveLength(1);
    expect(electron.BrowserWindow.created).toHaveLength(0);
    expect(electron.ipcMain.handlers.size).toBe(0);
  });

  it('stops everything when the last window closes: handlers gone, database released', async () => {
    const electron = await launch();
    electron.app.emit('window-all-closed');
    expect(electron.app.quitCalls).toHaveLength(1);
    expect(electron.ipcMain.handlers.size).toBe(0);
    // The data folder is free again: its lock went with the services.
    createServices(configForDataDir(userData)).dispose();
  });

  it('shows a config error in a dialog and exits with 1, without opening anything', async () => {
    vi.stubEnv('INTERVIEWLM_DURABILITY', 'sometimes');
    const electron = await launch();
    expect(electron.dialog.errors).toHaveLength(1);
    expect(electron.dialog.errors[0]).toMatchObject({ title: 'InterviewLM: invalid configuration', content: expect.stringContaining('INTERVIEWLM_DURABILITY') });
    expect(electron.app.exitCodes).toEqual([1]);
    expect(electron.BrowserWindow.created).toHaveLength(0);
    expect(electron.ipcMain.handlers.size).toBe(0);
  });

  it('refuses to save settings where the OS offers no encryption, and says so on the screen', async () => {
    vi.stubEnv('ANTHROPIC_API_KEY', '');
    const electron = await launch();
    const from = fromMainFrame(pathToFileURL(onlyWindow(electron).loaded[0]!.file!).href);
    await expect(electron.ipcMain.invoke(from, 'settings:read')).resolves.toMatchObject({ ok: true, value: { protection: { kind: 'os-keychain', canSave: false } } });
    await expect(electron.ipcMain.invoke(from, 'settings:save', { apiKey: 'sk-ant-api03-refused-without-keychain' })).resolves.toMatchObject({
      ok: false,
      error: { code: 'SETTINGS_UNAVAILABLE' },
    });
  });

  it('saves settings encrypted with safeStorage in userData, used at once and at the next start', async () => {
    vi.stubEnv('ANTHROPIC_API_KEY', '');
    const key = 'sk-ant-api03-saved-through-the-shell-9999';
    const cipher = fakeSafeStorage();
    fake.electron.safeStorage = cipher;
    const electron = await launch();
    const from = fromMainFrame(pathToFileURL(onlyWindow(electron).loaded[0]!.file!).href);
    await expect(electron.ipcMain.invoke(from, 'ai:getStatus')).resolves.toMatchObject({ value: { available: false } });
    const saved = await electron.ipcMain.invoke(from, 'settings:save', { apiKey: key });
    expect(saved).toMatchObject({ ok: true, value: { apiKey: { source: 'saved', inUse: { lastFour: '9999' } }, protection: { kind: 'os-keychain', canSave: true } } });
    expect(JSON.stringify(saved)).not.toContain(key);
    expect(readFileSync(join(userData, 'secrets.json'), 'utf8')).not.toContain(key);
    await expect(electron.ipcMain.invoke(from, 'ai:getStatus')).resolves.toMatchObject({ value: { available: true } });
    expect(JSON.stringify(onlyWindow(electron).webContents.sent)).not.toContain(key);

    // The next start reads it back through the keychain.
    electron.app.emit('window-all-closed');
    fake.electron = createFakeElectron(userData, electron.app.getAppPath());
    fake.electron.safeStorage = cipher;
    vi.resetModules();
    const restarted = await launch();
    const again = fromMainFrame(pathToFileURL(onlyWindow(restarted).loaded[0]!.file!).href);
    await expect(restarted.ipcMain.invoke(again, 'ai:getStatus')).resolves.toMatchObject({ value: { available: true } });
  });

  it('shows DATABASE_LOCKED in a dialog when another process holds the data folder', async () => {
    const other = createServices(configForDataDir(userData));
    try {
      const electron = await launch();
      expect(electron.dialog.errors).toEqual([{ title: 'InterviewLM is already running', content: expect.stringContaining('Another InterviewLM instance') }]);
      expect(electron.app.exitCodes).toEqual([1]);
      expect(electron.BrowserWindow.created).toHaveLength(0);
    } finally {
      other.dispose();
    }
  });

  it('leaves the instance that holds the data folder (a browser shell) recording after it refused to start', async () => {
    const first = createServices(configForDataDir(userData), { syncRunner: 'none' });
    const host = createIpcHost(first, { name: 'InterviewLM', version: 'first' });
    const page = createIpcClient(ipcContract, createInMemoryTransport(host));
    try {
      const session = await page.sessions.createSession('cand_first');
      await page.sessions.recordEvent(session.id, { type: 'keystroke', data: { key: 'a' } });
      const electron = await launch();
      // One dialog, and nothing of the second instance left behind.
      expect(electron.dialog.errors).toEqual([{ title: 'InterviewLM is already running', content: expect.stringContaining(userData) }]);
      expect(electron.app.exitCodes).toEqual([1]);
      expect(electron.ipcMain.handlers.size).toBe(0);
      await expect(page.sessions.recordEvent(session.id, { type: 'keystroke', data: { key: 'b' } })).resolves.toMatchObject({ seq: 3 });
      expect(await page.sessions.verifySession(session.id)).toMatchObject({ valid: true });
    } finally {
      host.dispose();
      first.dispose();
    }
  });
});
