/**
 * The browser shell's entry (`npm run start:browser`, or `npm start` without the Electron
 * runtime): the same services and IPC host as the desktop app, served to a browser tab on
 * 127.0.0.1. Run with tsx; it never imports Electron.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createIpcHost } from '../ipc/handlers';
import { describeStartupError } from '../main/startupError';
import { loadConfig } from '../services/config';
import { createServices, type Services } from '../services/container';
import { startBrowserShell } from './browserShell';

const ROOT = resolve(import.meta.dirname, '../..');
const RENDERER_DIR = join(ROOT, 'out', 'renderer');

async function main(): Promise<void> {
  if (!existsSync(join(RENDERER_DIR, 'index.html'))) {
    console.error(`InterviewLM: the page is not built (${join(RENDERER_DIR, 'index.html')} is missing); run \`npm run build\` first.`);
    process.exit(1);
  }
  let services: Services;
  try {
    // A second instance on the same data folder stops here with DATABASE_LOCKED: one writer per session.
    services = createServices(loadConfig(process.env));
  } catch (error) {
    const { title, message } = describeStartupError(error);
    console.error(`${title}: ${message}`);
    process.exit(1);
  }
  const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  const host = createIpcHost(services, { name: 'InterviewLM', version }, {
    onInternalError: (error, channel) => console.error(`[interviewlm] ${channel} failed:`, error),
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
