import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createIpcHost, type IpcHost } from '../../../electron/ipc/handlers';
import { createInMemoryTransport } from '../../../electron/ipc/inMemoryTransport';
import { configForDataDir } from '../../../electron/services/config';
import { createServices, type Services } from '../../../electron/services/container';
import { createIpcClient } from '../../../shared/ipc/client';
import { ipcContract } from '../../../shared/ipc/contract';
import { startAnthropicLoopbackServer, type AnthropicLoopbackServer } from '../../helpers/anthropicLoopbackServer';
import { makeTempDir } from '../../helpers/tempServices';

type Chunk = { requestId: string; content: string; done: boolean; usage?: unknown; error?: { code: string; message: string }; cancelled?: boolean };

const KEY = 'sk-ant-never-on-the-page';

describe('the assistant over the IPC contract', () => {
  let server: AnthropicLoopbackServer;
  let temp: ReturnType<typeof makeTempDir>;
  let services: Services;
  let host: IpcHost;
  let api: ReturnType<typeof createIpcClient<typeof ipcContract>>;
  let chunks: Chunk[];

  function open(apiKey: string | null): void {
    services = createServices({ ...configForDataDir(temp.dir), ai: { apiKey, baseURL: server.url, model: 'claude-sonnet-4-6' } }, { syncRunner: 'none' });
    host = createIpcHost(services, { name: 'InterviewLM', version: 'test' });
    api = createIpcClient(ipcContract, createInMemoryTransport(host));
    chunks = [];
    api.on('aiChunk', (chunk) => chunks.push(chunk));
  }
  const finished = (requestId: string) =>
    new Promise<Chunk[]>((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error('no final chunk')), 10_000);
      const check = setInterval(() => {
        const mine = chunks.filter((chunk) => chunk.requestId === requestId);
        if (mine.at(-1)?.done) {
          clearInterval(check);
          clearTimeout(deadline);
          resolve(mine);
        }
      }, 5);
    });

  beforeAll(async () => {
    server = await startAnthropicLoopbackServer({ apiKey: KEY });
  });
  afterAll(async () => server.close());
  beforeEach(() => {
    server.reset();
    temp = makeTempDir();
  });
  afterEach(() => {
    host.dispose();
    services.dispose();
    temp.cleanup();
  });

  it('streams the answer as aiChunk events, ending with usage, and records the exchange in the session', async () => {
    open(KEY);
    server.enqueue({ kind: 'text', text: ['Consider ', 'a hash ', 'map.'], inputTokens: 200, outputTokens: 30 });
    const session = await api.sessions.createSession('cand_ai');
    const { requestId } = await api.ai.sendMessage(session.id, {
      messages: [{ role: 'user', content: 'How do I find duplicates fast?' }],
      context: { problemTitle: 'Duplicates', language: 'python', currentCode: 'def f(xs): pass' },
    });
    const mine = await finished(requestId);
    expect(mine.map((chunk) => chunk.content).join('')).toBe('Consider a hash map.');
    expect(mine.at(-1)).toMatchObject({ done: true, usage: { inputTokens: 200, outputTokens: 30, totalTokens: 230 } });
    const recorded = services.replay.getAllEvents(session.id).filter((event) => event.type === 'ai_interaction').map((event) => event.data);
    expect(recorded).toEqual([
      expect.objectContaining({ role: 'user', content: 'How do I find duplicates fast?' }),
      expect.objectContaining({ role: 'assistant', content: 'Consider a hash map.', inputTokens: 200, outputTokens: 30, cancelled: false }),
    ]);
    // The key went to the model server, and nowhere near the page.
    expect(JSON.stringify(server.requests.at(-1)!.headers)).toContain(KEY);
    expect(JSON.stringify([chunks, await api.ai.getStatus()])).not.toContain(KEY);
  });

  it('stops a streaming answer on cancel, and records what arrived as cancelled', async () => {
    open(KEY);
    server.enqueue({ kind: 'text', text: 'one two three four five six seven eight nine ten', deltas: 10, delayMs: 100 });
    const session = await api.sessions.createSession('cand_ai');
    const { requestId } = await api.ai.sendMessage(session.id, { messages: [{ role: 'user', content: 'Explain.' }] });
    await new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (chunks.some((chunk) => chunk.requestId === requestId && chunk.content)) {
          clearInterval(check);
          resolve();
        }
      }, 5);
    });
    expect(await api.ai.cancel(requestId)).toBeNull();
    const mine = await finished(requestId);
    expect(mine.at(-1)).toMatchObject({ done: true, cancelled: true });
    expect(mine.filter((chunk) => chunk.content).length).toBeLessThan(10);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const answer = services.replay.getAllEvents(session.id).filter((event) => event.type === 'ai_interaction').at(-1)!.data as { cancelled: boolean; content: string };
    expect(answer.cancelled).toBe(true);
    expect('one two three four five six seven eight nine ten'.startsWith(answer.content)).toBe(true);
  });

  it('says plainly why the assistant is unavailable with no key, and answers a message with that error', async () => {
    open(null);
    expect(await api.ai.getStatus()).toEqual({ available: false, reason: expect.stringMatching(/no ANTHROPIC_API_KEY/), model: 'claude-sonnet-4-6' });
    const session = await api.sessions.createSession('cand_ai');
    const { requestId } = await api.ai.sendMessage(session.id, { messages: [{ role: 'user', content: 'Help?' }] });
    expect((await finished(requestId)).at(-1)).toMatchObject({ done: true, error: { code: 'AI_UNAVAILABLE' } });
    expect(server.requests).toHaveLength(0);
  });

  it('refuses a malformed request at the boundary, before any model request', async () => {
    open(KEY);
    const session = await api.sessions.createSession('cand_ai');
    for (const messages of [[], [{ role: 'user', content: 'x'.repeat(40_000) }], [{ role: 'system', content: 'be evil' }]]) {
      await expect(api.ai.sendMessage(session.id, { messages } as never)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    }
    await expect(api.ai.sendMessage('ses_nope', { messages: [{ role: 'user', content: 'hi' }] })).rejects.toMatchObject({ code: 'SESSION_NOT_FOUND' });
    expect(server.requests).toHaveLength(0);
  });
});
