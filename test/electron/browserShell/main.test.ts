import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startBrowserShell, type BrowserShell } from '../../../electron/browserShell/browserShell';
import { createIpcHost, type IpcHost } from '../../../electron/ipc/handlers';
import { configForDataDir } from '../../../electron/services/config';
import { createServices, type Services } from '../../../electron/services/container';
import type { IpcResult } from '../../../shared/ipc/channel';
import { parseServerMessage, secretSubprotocol } from '../../../shared/ipc/webSocketProtocol';
import { makeTempDir } from '../../helpers/tempServices';

const ROOT = join(import.meta.dirname, '../../..');

/** Runs `npm run start:browser`'s entry as its own process, as a person starting a second one would. */
function startSecondShell(dataDir: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'electron/browserShell/main.ts')], {
      cwd: ROOT,
      env: { ...process.env, INTERVIEWLM_DATA_DIR: dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // Were it to start (the lock not holding), it would serve forever: stop it so the test fails, not hangs.
    const deadline = setTimeout(() => child.kill('SIGKILL'), 25_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(deadline);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A page of the first shell: one socket, calls answered by id. */
async function openPage(shell: BrowserShell): Promise<{ invoke(channel: string, args: unknown[]): Promise<IpcResult>; close(): void }> {
  const socket = new WebSocket(`ws://127.0.0.1:${shell.port}/ipc?client=${'first'.padEnd(32, '0')}`, secretSubprotocol(shell.secret), { origin: new URL(shell.url).origin });
  const waiting = new Map<string, (result: IpcResult) => void>();
  socket.on('message', (data) => {
    const message = parseServerMessage(String(data));
    if (message?.type === 'result') waiting.get(message.id)?.(message.result);
  });
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  let next = 0;
  return {
    invoke: (channel, args) =>
      new Promise((resolve) => {
        const id = `call-${(next += 1)}`;
        waiting.set(id, resolve);
        socket.send(JSON.stringify({ type: 'invoke', id, channel, args }));
      }),
    close: () => socket.terminate(),
  };
}

describe('a second browser shell on the same data folder', () => {
  let data: ReturnType<typeof makeTempDir>;
  let site: ReturnType<typeof makeTempDir>;
  let services: Services;
  let host: IpcHost;
  let shell: BrowserShell;

  beforeEach(async () => {
    data = makeTempDir('interviewlm-data-');
    site = makeTempDir('interviewlm-site-');
    writeFileSync(join(site.dir, 'index.html'), '<!doctype html><title>InterviewLM</title>');
    services = createServices(configForDataDir(data.dir), { syncRunner: 'none' });
    host = createIpcHost(services, { name: 'InterviewLM', version: 'first' });
    shell = await startBrowserShell({ host, rendererDir: site.dir });
  });

  afterEach(async () => {
    await shell.close();
    host.dispose();
    services.dispose();
    data.cleanup();
    site.cleanup();
  });

  it('stops with one clear line and exit code 1, and the first keeps recording', async () => {
    const page = await openPage(shell);
    try {
      const created = await page.invoke('sessions:createSession', ['cand_first']);
      if (!created.ok) throw new Error(created.error.message);
      const sessionId = (created.value as { id: string }).id;
      expect(await page.invoke('sessions:recordEvent', [sessionId, { type: 'keystroke', data: { key: 'a' } }])).toMatchObject({ ok: true });

      const second = await startSecondShell(data.dir);
      expect(second.code).toBe(1);
      expect(second.stdout).toBe('');
      expect(second.stderr.trim().split('\n')).toEqual([
        `InterviewLM is already running: Another InterviewLM instance is using this data folder (${join(data.dir, 'interviewlm.db.lock')}). Close it first, or set INTERVIEWLM_DATA_DIR to another folder.`,
      ]);

      // The first never noticed: same socket, same session, chain intact.
      expect(await page.invoke('sessions:recordEvent', [sessionId, { type: 'keystroke', data: { key: 'b' } }])).toMatchObject({ ok: true, value: { seq: 3 } });
      expect(await services.sessions.verifySession(sessionId)).toMatchObject({ valid: true });
    } finally {
      page.close();
    }
  }, 30_000);
});
