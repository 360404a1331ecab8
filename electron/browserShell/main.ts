/**
 * The browser shell's entry (`npm run start:browser`, or `npm start` without the Electron
 * runtime): the same services and IPC host as the desktop app, served to a browser tab on
 * 127.0.0.1. Run with tsx; it never imports Electron.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createIpcHost } from '../ipc/handlers';
import type { SettingsHostOptions } from '../ipc/settingsHandlers';
import { describeStartupError } from '../main/startupError';
import { loadConfig } from '../services/config';
import { createServices, type Services } from '../services/container';
import { withSavedSettings } from '../services/settings/withSavedSettings';
import { startBrowserShell } from './browserShell';
import { FileSettingsStore, fileSettingsPath } from './fileSettingsStore';

const ROOT = resolve(import.meta.dirname, '../..');
const RENDERER_DIR = join(ROOT, 'out', 'renderer');

async function main(): Promise<void> {
  let services: Services;
  let settings: SettingsHostOptions;
  try {
    const environment = loadConfig(process.env);
    // Plain Node has no OS keychain: settings saved on the settings screen live in a 0600 file
    // in the data folder, and fill in what the environment leaves unset.
    const store = new FileSettingsStore(fileSettingsPath(environment.dataDir));
    settings = { store, environment };
    // A second instance on the same data folder stops here with DATABASE_LOCKED: one writer per session.
    services = createServices(withSavedSettings(environment, store.read()));
  } catch (error) {
    const { title, message } = describeStartupError(error);
    console.error(`${title}: ${message}`);
    process.exit(1);
  }
  // After the data folder: a second instance says it is one (one clear line), whatever else is missing.
  if (!existsSync(join(RENDERER_DIR, 'index.html'))) {
    console.error(`InterviewLM: the page is not built (${join(RENDERER_DIR, 'index.html')} is missing); run \`npm run build\` first.`);
    process.exit(1);
  }
  const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  const host = createIpcHost(services, { name: 'InterviewLM', version }, {
    onInternalError: (error, channel) => console.error(`[interviewlm] ${channel} failed:`, error),
    settings,
  });
  const shell = await startBrowserShell({ host, rendererDir: RENDERER_DIR });
  console.log(`InterviewLM is running at ${shell.url}`);

  let stopping = false;
  const stop = async () => {
    // npm, tsx and the terminal may each deliver the same Ctrl-C: shut down once.
    if (stopping) return;
    stopping = true;
    await shell.close();
    host.dispose();
    await services.shutdown();
    process.exit(0);
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void stop());
}

main().catch((error: unknown) => {
  console.error('InterviewLM: the browser shell could not start:', error);
  process.exit(1);
});
