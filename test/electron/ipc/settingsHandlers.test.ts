import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FileSettingsStore, fileSettingsPath } from '../../../electron/browserShell/fileSettingsStore';
import { createIpcHost, type IpcHost } from '../../../electron/ipc/handlers';
import { createInMemoryTransport } from '../../../electron/ipc/inMemoryTransport';
import { configForDataDir, type AppConfig } from '../../../electron/services/config';
import { createServices, type Services } from '../../../electron/services/container';
import { withSavedSettings } from '../../../electron/services/settings/withSavedSettings';
import type { IpcApi } from '../../../shared/ipc/channel';
import { createIpcClient } from '../../../shared/ipc/client';
import { ipcContract, type InterviewLmContract } from '../../../shared/ipc/contract';
import { startAnthropicLoopbackServer, type AnthropicLoopbackServer, type LoopbackRequest } from '../../helpers/anthropicLoopbackServer';
import { makeTempDir } from '../../helpers/tempServices';

const FIRST_KEY = 'sk-ant-api03-first-settings-key-1111';
const SECOND_KEY = 'sk-ant-api03-second-settings-key-2222';
const S3_SECRET = 'settings-handler-s3-secret-key-3333';

type Chunk = { requestId: string; content: string; done: boolean; error?: { code: string; message: string } };

/** The key a request to the model server carried (the SDK sends it as x-api-key or as a bearer token). */
function keySentWith(request: LoopbackRequest): string | undefined {
  const header = (name: string) => [request.headers[name]].flat()[0];
  return header('x-api-key') ?? header('authorization')?.replace(/^Bearer /, '');
}

describe('settings over the IPC contract', () => {
  let server: AnthropicLoopbackServer;
  let temp: ReturnType<typeof makeTempDir>;
  let environment: AppConfig;
  let store: FileSettingsStore;
  let services: Services;
  let host: IpcHost;
  let api: IpcApi<InterviewLmContract>;
  /** Every event and every answer the page received: the full secrets must be in none of them. */
  let received: unknown[];

  /** Starts the app as a shell does: the environment's config, saved settings filled in, the store handed to the host. */
  function start(options: { environmentKey?: string | null; withStore?: boolean } = {}): void {
    environment = { ...configForDataDir(temp.dir), ai: { apiKey: options.environmentKey ?? null, baseURL: server.url, model: 'claude-sonnet-4-6' } };
    store = new FileSettingsStore(fileSettingsPath(temp.dir));
    services = createServices(withSavedSettings(environment, store.read()), { syncRunner: 'none' });
    host = createIpcHost(services, { name: 'InterviewLM', version: 'test' }, options.withStore === false ? {} : { settings: { store, environment } });
    const client = createIpcClient(ipcContract, createInMemoryTransport(host));
    // Every answer the page gets passes through here, so the test can look for secrets in all of them.
    const recording = new Proxy(client, {
      get(target, namespace: string) {
        const group = target[namespace as keyof typeof target];
        if (namespace === 'on' || typeof group !== 'object') return group;
        return new Proxy(group as object, {
          get: (methods, method: string) => async (...args: unknown[]) => {
            const value = await (methods as Record<string, (...a: unknown[]) => Promise<unknown>>)[method]!(...args);
            received.push(value);
            return value;
          },
        });
      },
    });
    api = recording;
    host.events.subscribe((name, payload) => received.push({ name, payload }));
  }
  function stop(): void {
    host?.dispose();
    services?.dispose();
  }
  /** Asks the assistant and waits for the answer's last chunk. */
  const ask = async (sessionId: string): Promise<Chunk> => {
    // Listening before sending: without a key the error chunk comes before the request id does.
    const finals: Chunk[] = [];
    const dispose = host.events.subscribe((name, payload) => {
      if (name === 'aiChunk' && (payload as Chunk).done) finals.push(payload as Chunk);
    });
    try {
      const { requestId } = await api.ai.sendMessage(sessionId, { messages: [{ role: 'user', content: 'Where do I start?' }] });
      await expect.poll(() => finals.find((chunk) => chunk.requestId === requestId), { timeout: 10_000 }).toBeDefined();
      return finals.find((chunk) => chunk.requestId === requestId)!;
    } finally {
      dispose();
    }
  };

  beforeAll(async () => {
    // The loopback server takes only the second key: a request with another is refused (401).
    server = await startAnthropicLoopbackServer({ apiKey: SECOND_KEY, defaultAnswer: { kind: 'text', text: 'Start small.' } });
  });
  afterAll(async () => server.close());
  beforeEach(() => {
    server.reset();
    temp = makeTempDir();
    received = [];
  });
  afterEach(() => {
    stop();
    temp.cleanup();
  });

  it('saves a key that the very next assistant request uses, with no restart, and never sends it back', async () => {
    start();
    expect((await api.settings.read()).apiKey).toEqual({ source: 'none', inUse: null, saved: null });
    expect(await api.ai.getStatus()).toMatchObject({ available: false });
    const session = await api.sessions.createSession('cand_settings');

    const saved = await api.settings.save({ apiKey: FIRST_KEY });
    expect(saved.apiKey).toEqual({ source: 'saved', inUse: { lastFour: '1111' }, saved: { lastFour: '1111' } });
    expect(await api.ai.getStatus()).toMatchObject({ available: true, reason: null });
    // The server takes only the second key: the first is sent, and refused.
    expect(await ask(session.id)).toMatchObject({ error: { code: 'AI_UNAVAILABLE' } });
    expect(keySentWith(server.requests.at(-1)!)).toBe(FIRST_KEY);

    await api.settings.save({ apiKey: SECOND_KEY });
    const answer = await ask(session.id);
    expect(answer.error).toBeUndefined();
    expect(keySentWith(server.requests.at(-1)!)).toBe(SECOND_KEY);

    expect(received.some((value) => (value as { name?: string }).name === 'settingsChanged')).toBe(true);
    const everything = JSON.stringify(received);
    expect(everything).not.toContain(FIRST_KEY);
    expect(everything).not.toContain(SECOND_KEY);
  });

  it('keeps the saved key across a restart, and clears it', async () => {
    start();
    await api.settings.save({ apiKey: SECOND_KEY });
    stop();
    start();
    expect(services.anthropicApiKey.current).toBe(SECOND_KEY);
    expect((await api.settings.read()).apiKey).toMatchObject({ source: 'saved', inUse: { lastFour: '2222' } });

    const cleared = await api.settings.save({ apiKey: null });
    expect(cleared.apiKey).toEqual({ source: 'none', inUse: null, saved: null });
    expect(await api.ai.getStatus()).toMatchObject({ available: false });
    const session = await api.sessions.createSession('cand_cleared');
    expect(await ask(session.id)).toMatchObject({ error: { code: 'AI_UNAVAILABLE' } });
    expect(server.requests).toHaveLength(0);
  });

  it("shows the environment's key as the environment's, which wins over a saved one", async () => {
    start({ environmentKey: SECOND_KEY });
    const view = await api.settings.save({ apiKey: FIRST_KEY });
    expect(view.apiKey).toEqual({ source: 'environment', inUse: { lastFour: '2222' }, saved: { lastFour: '1111' } });
    expect(services.anthropicApiKey.current).toBe(SECOND_KEY);
    expect(JSON.stringify(received)).not.toContain(FIRST_KEY);
  });

  it('refuses bad values with VALIDATION_FAILED naming the field, saving nothing and echoing no secret', async () => {
    start();
    const badKey = 'sk-ant-api03-has a space-and-more';
    const keyError = await api.settings.save({ apiKey: badKey }).catch((error: unknown) => error);
    expect(keyError).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringMatching(/apiKey/) });
    expect(JSON.stringify(keyError)).not.toContain(badKey);
    await expect(api.settings.save({ storage: { bucket: '192.168.0.1' } })).rejects.toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringMatching(/storage\.bucket/) });
    await expect(api.settings.save({ storage: { bucket: 'good-bucket', endpoint: 'ftp://files' } })).rejects.toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringMatching(/storage\.endpoint/) });
    await expect(api.settings.save({ storage: { bucket: 'good-bucket', accessKeyId: 'AKIAEXAMPLE123' } })).rejects.toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringMatching(/secretAccessKey/) });
    await expect(api.settings.save({ apiKey: FIRST_KEY, extra: true } as never)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(store.read()).toEqual({});
  });

  it('saves a bucket to apply at the next start, masking its secret access key', async () => {
    start();
    const view = await api.settings.save({ storage: { bucket: 'interviewlm-proctor', region: 'eu-west-3', accessKeyId: 'AKIAEXAMPLE123', secretAccessKey: S3_SECRET } });
    expect(view.storage).toMatchObject({
      source: 'saved',
      configured: { bucket: 'interviewlm-proctor', region: 'eu-west-3', accessKeyId: 'AKIAEXAMPLE123', secretAccessKey: { lastFour: '3333' } },
      runningBucket: null,
      restartNeeded: true,
    });
    expect(view.protection).toMatchObject({ kind: 'file', canSave: true });
    expect(JSON.stringify(received)).not.toContain(S3_SECRET);
    // This run keeps recording locally; the next one syncs to the saved bucket.
    expect(services.config.storage.bucket).toBeUndefined();
    stop();
    start();
    expect(services.config.storage).toMatchObject({ bucket: 'interviewlm-proctor', secretAccessKey: S3_SECRET });
    expect((await api.settings.read()).storage).toMatchObject({ runningBucket: 'interviewlm-proctor', restartNeeded: false });
  });

  it('reads but refuses to save where the host gave no store', async () => {
    start({ withStore: false });
    expect((await api.settings.read()).protection).toMatchObject({ kind: 'none', canSave: false });
    await expect(api.settings.save({ apiKey: FIRST_KEY })).rejects.toMatchObject({ code: 'SETTINGS_UNAVAILABLE' });
    expect(services.anthropicApiKey.current).toBeNull();
  });
});
