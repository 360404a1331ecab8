import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { startBrowserShell } from '../../electron/browserShell/browserShell';
import { createIpcHost, type IpcHost, type IpcHostOptions } from '../../electron/ipc/handlers';
import type { Services } from '../../electron/services/container';
import { launchChromium } from './chromium';
import { makeTempDir } from './tempServices';

const ROOT = join(import.meta.dirname, '../..');

/**
 * The page as it ships, built by electron-vite (it needs no Electron binary) into a folder of
 * the caller's own, so a build never rewrites out/ under another test or a running shell.
 */
export function buildRenderer(): { rendererDir: string; cleanup(): void } {
  const build = makeTempDir('interviewlm-e2e-build-');
  const built = spawnSync('npx', ['electron-vite', 'build', '--outDir', build.dir], { cwd: ROOT, encoding: 'utf8' });
  if (built.status !== 0) {
    build.cleanup();
    throw new Error(`electron-vite build failed: ${built.stderr || built.stdout}`);
  }
  return { rendererDir: join(build.dir, 'renderer'), cleanup: build.cleanup };
}

/** `services` behind the IPC host and the browser shell, serving a built page, and Chromium to open it in. */
export interface BrowserShellFixture {
  host: IpcHost;
  shell: Awaited<ReturnType<typeof startBrowserShell>>;
  browser: Browser;
  /** Closes the browser and the shell, disposes the host and shuts `services` down. */
  close(): Promise<void>;
}

/** Starts what an end-to-end spec drives: the browser shell over `services`, serving `rendererDir`, and Chromium. */
export async function startBrowserShellFixture(services: Services, rendererDir: string, hostOptions: IpcHostOptions = {}): Promise<BrowserShellFixture> {
  const host = createIpcHost(services, { name: 'InterviewLM', version: 'e2e' }, hostOptions);
  const shell = await startBrowserShell({ host, rendererDir });
  const browser = await launchChromium();
  return {
    host,
    shell,
    browser,
    close: async () => {
      await browser.close();
      await shell.close();
      host.dispose();
      await services.shutdown();
    },
  };
}
