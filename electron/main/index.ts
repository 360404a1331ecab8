/**
 * The Electron main process: a thin shell. It owns the app lifecycle and the one window,
 * builds the services from the config, and hands the IPC host to the bridge. Everything with
 * logic lives in modules that do not import Electron, so they are tested under plain Node.
 */
import { join } from 'node:path';
import { app, BrowserWindow, dialog, ipcMain, safeStorage, session } from 'electron';
import { isAppError } from '../../shared/errors';
import type { Disposer } from '../../shared/event';
import { createIpcHost } from '../ipc/handlers';
import { loadConfig, type AppConfig } from '../services/config';
import { withExecutionPaths } from './executionPaths';
import { SafeStorageSettingsStore } from './safeStorageSettingsStore';
import { secretSettingsPath } from './secretSettings';
import { withSavedSettings } from '../services/settings/withSavedSettings';
import { configureServices, shutdownServices } from '../services/index';
import { withContentSecurityPolicy } from './contentSecurityPolicy';
import { forwardIpcEvents, registerIpcHandlers } from './ipcMainBridge';
import { withSqliteBinding } from './sqliteBinding';
import { describeStartupError } from './startupError';
import { createTrustedSenderCheck } from './trustedSender';
import { decidePermission, hardenWebContents, secureWebPreferences } from './windowSecurity';

// Both sit next to out/main/ in the build (electron.vite.config.ts); the preload is CommonJS
// because sandboxed preloads cannot be ES modules.
const PRELOAD_FILE = join(import.meta.dirname, '../preload/index.cjs');
const RENDERER_INDEX_FILE = join(import.meta.dirname, '../renderer/index.html');
/** Set by `electron-vite dev`; a packaged app never takes its page from the environment. */
const DEV_SERVER_URL = app.isPackaged ? undefined : process.env.ELECTRON_RENDERER_URL;

let mainWindow: BrowserWindow | undefined;
/** What `stopServices` undoes, in reverse order of setup. */
const teardown: Disposer[] = [];

function main(): void {
  // One instance per user: a second one would contend for the recording database.
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  app.on('second-instance', focusMainWindow);
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents));
  app.on('window-all-closed', () => {
    stopServices();
    app.quit();
  });
  app.on('before-quit', stopServices);
  app.whenReady().then(start).catch(failToStart);
}

function start(): void {
  secureDefaultSession();
  const environment = shellConfig();
  // Saved on the settings screen, encrypted with the OS keychain; the environment's values win.
  const settingsStore = new SafeStorageSettingsStore(secretSettingsPath(app.getPath('userData')), safeStorage);
  const services = configureServices(withSavedSettings(environment, settingsStore.read()));
  teardown.push(shutdownServices);
  const host = createIpcHost(
    services,
    { name: app.getName(), version: app.getVersion() },
    {
      onInternalError: (error, channel) => console.error(`[interviewlm] ${channel} failed:`, error),
      chooseExportPath: chooseExportPath,
      settings: { store: settingsStore, environment },
    },
  );
  teardown.push(host.dispose);
  const isTrustedSender = createTrustedSenderCheck({ rendererIndexFile: RENDERER_INDEX_FILE, devServerUrl: DEV_SERVER_URL });
  teardown.push(
    registerIpcHandlers(ipcMain, host, isTrustedSender, {
      onRefusedSender: (channel, reason) => console.warn(`[interviewlm] refused IPC ${channel}: ${reason}`),
    }),
  );
  const window = createMainWindow();
  teardown.push(forwardIpcEvents(host, window.webContents));
}

/** The config from the environment, with Electron's userData and our SQLite addon as defaults (before saved settings). */
function shellConfig(): AppConfig {
  const config = loadConfig(process.env, { dataDir: app.getPath('userData') });
  const location = { isPackaged: app.isPackaged, resourcesPath: process.resourcesPath, appPath: app.getAppPath() };
  return withExecutionPaths(withSqliteBinding(config, location), location, process.env, process.execPath);
}

function secureDefaultSession(): void {
  // file:// pages get no headers, so renderer/index.html carries the same policy as a <meta>.
  session.defaultSession.webRequest.onHeadersReceived((details, callback) =>
    callback({ responseHeaders: withContentSecurityPolicy(details.responseHeaders) }),
  );
  session.defaultSession.setPermissionRequestHandler((_contents, permission, callback) => callback(decidePermission(permission)));
  session.defaultSession.setPermissionCheckHandler((_contents, permission) => decidePermission(permission));
}

function createMainWindow(): BrowserWindow {
  const window = new BrowserWindow({
    title: 'InterviewLM',
    width: 1280,
    height: 820,
    minWidth: 800,
    minHeight: 560,
    show: false,
    backgroundColor: '#101426',
    webPreferences: secureWebPreferences(PRELOAD_FILE, { devTools: !app.isPackaged }),
  });
  mainWindow = window;
  window.once('ready-to-show', () => window.show());
  window.on('closed', () => {
    if (mainWindow === window) mainWindow = undefined;
  });
  const loaded = DEV_SERVER_URL ? window.loadURL(DEV_SERVER_URL) : window.loadFile(RENDERER_INDEX_FILE);
  loaded.catch((error: unknown) => console.error('[interviewlm] the page failed to load:', error));
  return window;
}

/** Asks where to save a session export; null when the person cancels. */
async function chooseExportPath(suggestedFileName: string): Promise<string | null> {
  const options = {
    title: 'Export the interview recording',
    defaultPath: join(app.getPath('documents'), suggestedFileName),
    filters: [{ name: 'InterviewLM recording', extensions: ['gz'] }],
  };
  const result = mainWindow ? await dialog.showSaveDialog(mainWindow, options) : await dialog.showSaveDialog(options);
  return result.canceled || !result.filePath ? null : result.filePath;
}

function focusMainWindow(): void {
  if (!mainWindow) return;
  if (mainWindow.isMinimized()) mainWindow.restore();
  mainWindow.show();
  mainWindow.focus();
}

/** Stops forwarding, removes the handlers, disposes the host and closes the services. Idempotent. */
function stopServices(): void {
  while (teardown.length > 0) {
    const dispose = teardown.pop()!;
    try {
      dispose();
    } catch (error) {
      // Keep going: the services below must still commit and release the database.
      console.error('[interviewlm] shutdown step failed:', error);
    }
  }
}

/** A config or database error at start: say so in a dialog and quit, never crash with a stack. */
function failToStart(error: unknown): void {
  if (!isAppError(error)) console.error('[interviewlm] start failed:', error);
  stopServices();
  const { title, message } = describeStartupError(error);
  dialog.showErrorBox(title, message);
  // Nothing is open any more; exit with a failure code so a launcher sees it.
  app.exit(1);
}

main();
