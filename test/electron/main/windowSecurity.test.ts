import { describe, expect, it } from 'vitest';
import { decidePermission, hardenWebContents, secureWebPreferences, type HardenableWebContents, type PreventableEvent } from '../../../electron/main/windowSecurity';

describe('secureWebPreferences', () => {
  it('isolates and sandboxes the page, with no Node anywhere, and sets the preload', () => {
    expect(secureWebPreferences('/app/out/preload/index.cjs')).toMatchObject({
      preload: '/app/out/preload/index.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      devTools: false,
    });
  });

  it('opens DevTools only when asked (development builds)', () => {
    expect(secureWebPreferences('/p').devTools).toBe(false);
    expect(secureWebPreferences('/p', { devTools: true }).devTools).toBe(true);
  });
});

describe('hardenWebContents', () => {
  /** A web contents that records its listeners, as Electron's would call them. */
  function fakeContents() {
    const listeners = new Map<string, (event: PreventableEvent) => void>();
    let openHandler: ((details: { url: string }) => { action: string }) | undefined;
    const contents: HardenableWebContents = {
      on: (name, listener) => listeners.set(name, listener),
      setWindowOpenHandler: (handler) => (openHandler = handler),
    };
    const fire = (name: string) => {
      let prevented = false;
      listeners.get(name)?.({ preventDefault: () => (prevented = true) });
      return prevented;
    };
    return { contents, fire, open: (url: string) => openHandler?.({ url }) };
  }

  it('refuses navigation, webviews and new windows', () => {
    const { contents, fire, open } = fakeContents();
    hardenWebContents(contents);
    expect(fire('will-navigate')).toBe(true);
    expect(fire('will-attach-webview')).toBe(true);
    expect(open('https://example.com/')).toEqual({ action: 'deny' });
  });
});

describe('decidePermission', () => {
  it('grants clipboard writes only', () => {
    expect(decidePermission('clipboard-sanitized-write')).toBe(true);
    for (const permission of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal', 'fullscreen']) {
      expect(decidePermission(permission)).toBe(false);
    }
  });
});
