import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createIpcHost, type IpcHost } from '../../../electron/ipc/handlers';
import { createInMemoryTransport } from '../../../electron/ipc/inMemoryTransport';
import { createIpcRouter } from '../../../electron/ipc/router';
import { AppError } from '../../../shared/errors';
import { channel, listChannels, type IpcApi } from '../../../shared/ipc/channel';
import { createIpcClient } from '../../../shared/ipc/client';
import { bridgeTransport, createIpcBridge } from '../../../shared/ipc/bridge';
import { ipcContract, type InterviewLmContract } from '../../../shared/ipc/contract';
import { z } from 'zod';
import { tempServices } from '../../helpers/tempServices';

describe('the IPC contract over an in-memory transport', () => {
  let env: ReturnType<typeof tempServices>;
  let host: IpcHost;
  let api: IpcApi<InterviewLmContract>;
  const internalErrors: unknown[] = [];

  beforeEach(() => {
    env = tempServices();
    host = createIpcHost(env.services, { name: 'InterviewLM', version: '0.0.0-test' }, { onInternalError: (error) => internalErrors.push(error) });
    api = createIpcClient(ipcContract, createInMemoryTransport(host));
  });
  afterEach(() => {
    host.dispose();
    env.cleanup();
  });

  it('derives one router entry per contract channel and nothing else', () => {
    expect([...host.router.channelNames].sort()).toEqual(listChannels(ipcContract).map((c) => c.name).sort());
    expect(host.router.channelNames).toContain('sessions:recordEvent');
  });

  it('records a session end to end through the typed client', async () => {
    const session = await api.sessions.createSession('cand_ipc');
    await api.sessions.recordEvent(session.id, { type: 'file_created', fileId: 'f', data: { fileName: 'a.ts', content: 'x' } });
    await api.sessions.recordCodeSnapshot(session.id, { fileId: 'f', fileName: 'a.ts', language: 'typescript', content: 'xy' });
    const closedEvents: unknown[] = [];
    const unsubscribe = api.on('sessionClosed', (payload) => closedEvents.push(payload));
    await api.sessions.closeSession(session.id, 'COMPLETED');
    expect(closedEvents).toEqual([{ sessionId: session.id, status: 'COMPLETED' }]);
    unsubscribe();
    expect(await api.replay.getFileAt(session.id, 'f', { seq: 100 })).toMatchObject({ content: 'xy', fileName: 'a.ts' });
    expect((await api.sessions.getSessionStats(session.id)).eventCount).toBe(4);
    expect((await api.app.getInfo()).databasePath).toBe(env.config.databasePath);
  });

  it.each([
    ['a wrong argument type', 'sessions:createSession', [42]],
    ['a missing argument', 'sessions:recordEvent', ['ses_x']],
    ['too many arguments', 'sessions:getSession', ['a', 'b']],
    ['arguments that are not a list', 'sessions:getSession', { id: 'a' }],
    ['an unknown option', 'sessions:createSession', ['c', { evil: true }]],
    ['a bad replay point', 'replay:getFileAt', ['s', 'f', { seq: -1 }]],
  ])('answers %s with VALIDATION_FAILED before any service runs', async (_what, name, args) => {
    const result = await host.router.invoke(name, args, 'test');
    expect(result).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
    expect(env.services.database.db.prepare('SELECT count(*) FROM sessions').pluck().get()).toBe(0);
  });

  it('never throws, even at arguments whose getters throw', async () => {
    const hostile = { get candidateId(): string { throw new Error('gotcha'); } };
    const args = [new Proxy({}, { get: () => { throw new Error('proxy trap'); }, ownKeys: () => { throw new Error('proxy trap'); } })];
    await expect(host.router.invoke('sessions:createSession', [hostile], 'test')).resolves.toMatchObject({ ok: false });
    await expect(host.router.invoke('sessions:recordEvent', args, 'test')).resolves.toMatchObject({ ok: false });
  });

  it('answers an unknown channel with UNKNOWN_CHANNEL', async () => {
    expect(await host.router.invoke('sessions:dropTables', [], 'test')).toMatchObject({ ok: false, error: { code: 'UNKNOWN_CHANNEL' } });
    expect(await host.router.invoke(42 as never, [], 'test')).toMatchObject({ ok: false, error: { code: 'UNKNOWN_CHANNEL' } });
  });

  it('carries service errors as typed AppErrors to the caller', async () => {
    const error = await api.sessions.getSession('ses_missing').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: 'SESSION_NOT_FOUND' });
    const session = await api.sessions.createSession('c');
    await expect(api.sessions.recordEvent(session.id, { type: 'warp', data: {} })).rejects.toMatchObject({ code: 'UNKNOWN_EVENT_TYPE' });
  });

  it('reduces unexpected errors to INTERNAL without leaking details, and keeps serving', async () => {
    const router = createIpcRouter(
      { channels: { test: { explode: channel({ doc: 'x', request: z.tuple([]), response: z.string() }), lie: channel({ doc: 'x', request: z.tuple([]), response: z.string() }) } }, events: {} },
      { test: { explode: () => { throw new Error('secret /etc/passwd detail'); }, lie: () => 42 as unknown as string } },
      { onInternalError: (error) => internalErrors.push(error) },
    );
    const exploded = await router.invoke('test:explode', [], 'test');
    expect(exploded).toEqual({ ok: false, error: { code: 'INTERNAL', message: 'Internal error in test:explode' } });
    expect(await router.invoke('test:lie', [], 'test')).toMatchObject({ ok: false, error: { code: 'INTERNAL' } });
    expect(internalErrors.length).toBeGreaterThanOrEqual(2);
  });

  it('serves the same contract through the preload bridge shape', async () => {
    const bridge = createIpcBridge(ipcContract, createInMemoryTransport(host));
    const viaBridge = createIpcClient(ipcContract, bridgeTransport(ipcContract, bridge));
    expect(await bridge.sessions.getSession('nope')).toMatchObject({ ok: false, error: { code: 'SESSION_NOT_FOUND' } });
    const session = await viaBridge.sessions.createSession('cand_bridge');
    expect((await viaBridge.sessions.getSession(session.id)).candidateId).toBe('cand_bridge');
  });
});
