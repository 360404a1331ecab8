import { posix, win32 } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TrustedSenderCheck } from './ipcMainBridge';

/** Where the app's page is loaded from. */
export interface AppPageLocation {
  /** Absolute path of the built renderer's index.html, loaded with file://. */
  rendererIndexFile: string;
  /** The electron-vite dev server (ELECTRON_RENDERER_URL); only ever set in development. */
  devServerUrl?: string;
  /** Decides whether paths compare case-insensitively (Windows). */
  platform?: NodeJS.Platform;
}

/**
 * Builds the sender check for the IPC bridge: a frame is trusted when its URL is the
 * built index.html itself (any query or hash), or any page of the dev server's origin.
 * Any other file on disk is refused, so a page the user opens by other means gets nothing.
 */
export function createTrustedSenderCheck(location: AppPageLocation): TrustedSenderCheck {
  const windows = (location.platform ?? process.platform) === 'win32';
  const comparable = (path: string) => (windows ? win32.normalize(path).toLowerCase() : posix.normalize(path));
  const indexFile = comparable(location.rendererIndexFile);
  const devOrigin = location.devServerUrl ? originOf(location.devServerUrl) : null;

  return (frameUrl) => {
    let url: URL;
    try {
      url = new URL(frameUrl);
    } catch {
      return false;
    }
    if (url.protocol === 'file:') {
      const path = filePathOf(url, windows);
      return path !== null && comparable(path) === indexFile;
    }
    return devOrigin !== null && url.origin === devOrigin;
  };
}

function originOf(url: string): string {
  const origin = new URL(url).origin;
  // about:, data: and the like have an opaque origin that every such URL would share.
  if (origin === 'null') throw new Error(`The dev server URL ${url} has no origin`);
  return origin;
}

/** The local path of a file URL (query and hash ignored), or null for a remote host or a malformed path. */
function filePathOf(url: URL, windows: boolean): string | null {
  try {
    return fileURLToPath(url, { windows });
  } catch {
    return null;
  }
}
