import type { WebPreferences } from 'electron';

/**
 * The web preferences of every InterviewLM window: the page runs sandboxed, isolated from
 * the preload, with no Node; the preload is its only way to the main process.
 */
export function secureWebPreferences(preloadPath: string, options: { devTools: boolean } = { devTools: false }): WebPreferences {
  return {
    preload: preloadPath,
    // A candidate with DevTools could call the bridge by hand; only development builds get them.
    devTools: options.devTools,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    spellcheck: false,
  };
}

/** A cancellable Electron event. */
export interface PreventableEvent {
  preventDefault(): void;
}

/** The part of Electron's WebContents that hardening needs. */
export interface HardenableWebContents {
  on(event: 'will-navigate' | 'will-attach-webview', listener: (event: PreventableEvent) => void): unknown;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void;
}

/**
 * Locks a web contents to the page it was loaded with: no navigation, no new windows, no
 * webviews. Applied to every web contents the app creates, not only the main window's.
 */
export function hardenWebContents(contents: HardenableWebContents): void {
  // The app is one page; anything that tries to navigate it (a link, a drop, a script) is refused.
  contents.on('will-navigate', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}

/** Permissions the page may use; everything else (camera, geolocation, notifications...) is refused. */
export const ALLOWED_PERMISSIONS: ReadonlySet<string> = new Set(['clipboard-sanitized-write']);

/** For session.setPermissionRequestHandler: grants only ALLOWED_PERMISSIONS. */
export function decidePermission(permission: string): boolean {
  return ALLOWED_PERMISSIONS.has(permission);
}
