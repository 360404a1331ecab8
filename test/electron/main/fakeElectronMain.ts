/**
 * A stand-in for the parts of the 'electron' module the main process uses. Electron cannot run
 * in this environment (its binary is not installed, and `require('electron')` throws under
 * plain Node), so electron/main/index.ts is run against this fake to test its lifecycle.
 */
import { EventEmitter } from 'node:events';
import type { SecretCipher } from '../../../electron/main/secretSettings';
import { FakeIpcMain } from './fakeIpcMain';

type Listener = (...args: unknown[]) => void;

export class FakeApp extends EventEmitter {
  isPackaged = false;
  hasLock = true;
  readonly quitCalls: number[] = [];
  readonly exitCodes: number[] = [];
  private markReady!: () => void;
  private readonly ready = new Promise<void>((resolve) => (this.markReady = resolve));

  constructor(private readonly userData: string, private readonly appPath: string) {
    super();
  }

  requestSingleInstanceLock(): boolean {
    return this.hasLock;
  }
  whenReady(): Promise<void> {
    return this.ready;
  }
  /** What Electron does once it has initialised. */
  becomeReady(): void {
    this.markReady();
  }
  getPath(name: string): string {
    if (name !== 'userData') throw new Error(`unexpected app.getPath(${name})`);
    return this.userData;
  }
  getAppPath(): string {
    return this.appPath;
  }
  getName(): string {
    return 'InterviewLM';
  }
  getVersion(): string {
    return '0.1.0-test';
  }
  quit(): void {
    this.quitCalls.push(Date.now());
  }
  exit(code = 0): void {
    this.exitCodes.push(code);
  }
}

export class FakeWebContents extends EventEmitter {
  readonly sent: { channel: string; payload: unknown }[] = [];
  destroyed = false;
  windowOpenHandler: ((details: { url: string }) => { action: string }) | undefined;

  send(channel: string, payload: unknown): void {
    this.sent.push({ channel, payload });
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  setWindowOpenHandler(handler: (details: { url: string }) => { action: string }): void {
    this.windowOpenHandler = handler;
  }
}

export class FakeBrowserWindow extends EventEmitter {
  static readonly created: FakeBrowserWindow[] = [];
  readonly webContents = new FakeWebContents();
  readonly loaded: { file?: string; url?: string }[] = [];
  readonly calls: string[] = [];
  minimized = false;

  constructor(readonly options: Record<string, unknown>) {
    super();
    FakeBrowserWindow.created.push(this);
  }
  loadFile(file: string): Promise<void> {
    this.loaded.push({ file });
    return Promise.resolve();
  }
  loadURL(url: string): Promise<void> {
    this.loaded.push({ url });
    return Promise.resolve();
  }
  isMinimized(): boolean {
    return this.minimized;
  }
  restore(): void {
    this.calls.push('restore');
    this.minimized = false;
  }
  show(): void {
    this.calls.push('show');
  }
  focus(): void {
    this.calls.push('focus');
  }
}

export class FakeSession {
  headersListener: Listener | undefined;
  permissionRequestHandler: Listener | undefined;
  permissionCheckHandler: ((...args: unknown[]) => boolean) | undefined;
  readonly webRequest = { onHeadersReceived: (listener: Listener) => (this.headersListener = listener) };
  setPermissionRequestHandler(handler: Listener): void {
    this.permissionRequestHandler = handler;
  }
  setPermissionCheckHandler(handler: (...args: unknown[]) => boolean): void {
    this.permissionCheckHandler = handler;
  }
}

/** One fake Electron: what `import ... from 'electron'` gives the main process in a test. */
export function createFakeElectron(userData: string, appPath: string) {
  FakeBrowserWindow.created.length = 0;
  return {
    app: new FakeApp(userData, appPath),
    BrowserWindow: FakeBrowserWindow,
    ipcMain: new FakeIpcMain(),
    dialog: { errors: [] as { title: string; content: string }[], showErrorBox(title: string, content: string) { this.errors.push({ title, content }); } },
    session: { defaultSession: new FakeSession() },
    // As on a machine whose OS keychain is locked: no secrets saved in settings are read. A test may put fakeSafeStorage() here.
    safeStorage: { isEncryptionAvailable: () => false, encryptString: (): Buffer => Buffer.alloc(0), decryptString: (): string => '' } as SecretCipher,
  };
}

export type FakeElectron = ReturnType<typeof createFakeElectron>;
