// Electron cannot run here (no binary; `require('electron')` throws under Node): the preload
// is driven through small fakes of contextBridge and ipcRenderer (fakePreloadElectron.ts).
import { describe, expect, it } from 'vitest';
import { API_GLOBAL_NAME, exposeInterviewLmApi } from '../../../electron/preload/exposeApi';
import type { IpcBridge } from '../../../shared/ipc/bridge';
import { eventChannelName, listChannels, type IpcResult } from '../../../shared/ipc/channel';
import { ipcContract, type InterviewLmContract } from '../../../shared/ipc/contract';
import { FakeContextBridge, FakeIpcRenderer, reachableValues } from './fakePreloadElectron';

function exposeWith(answer: (channel: string, args: unknown[]) => Promise<unknown> = async () => ({ ok: true, value: null })) {
  const contextBridge = new FakeContextBridge();
  const ipcRenderer = new FakeIpcRenderer(answer);
  exposeInterviewLmApi(contextBridge, ipcRenderer);
  const api = contextBridge.exposed.get(API_GLOBAL_NAME) as IpcBridge<InterviewLmContract>;
  return { contextBridge, ipcRenderer, api };
}

describe('exposeInterviewLmApi', () => {
  it('exposes one API, as window.interviewlm', () => {
    const { contextBridge } = exposeWith();
    expect([...contextBridge.exposed.keys()]).toEqual(['interviewlm']);
  });

  it("exposes exactly the contract's namespaces and methods, plus on", () => {
    const { api } = exposeWith();
    const exposed = api as unknown as Record<string, Record<string, unknown>>;
    expect(Object.keys(exposed).sort()).toEqual([...Object.keys(ipcContract.channels), 'on'].sort());
    for (const [namespace, methods] of Object.entries(ipcContract.channels)) {
      expect(Object.keys(exposed[namespace]!).sort()).toEqual(Object.keys(methods).sort());
      for (const method of Object.keys(methods)) expect(typeof exposed[namespace]![method]).toBe('function');
    }
    expect(typeof exposed.on).toBe('function');
  });

  it('never exposes ipcRenderer: only plain objects and named functions cross over', () => {
    const { api, ipcRenderer } = exposeWith();
    const values = reachableValues(api);
    expect(values).not.toContain(ipcRenderer);
    for (const value of values) {
      if (typeof value === 'object') expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
      else expect(typeof value).toBe('function');
    }
  });

  it('invokes each channel on its wire name with the arguments spread, and returns the envelope as is', async () => {
    const envelope: IpcResult = { ok: false, error: { code: 'SESSION_NOT_FOUND', message: 'No session with id "ses_1"' } };
    const { api, ipcRenderer } = exposeWith(async () => envelope);

    await expect(api.sessions.getSession('ses_1')).resolves.toEqual(envelope);
    await api.replay.getFileAt('ses_1', 'main.py', { seq: 3 });

    expect(ipcRenderer.invocations).toEqual([
      { channel: 'sessions:getSession', args: ['ses_1'] },
      { channel: 'replay:getFileAt', args: ['ses_1', 'main.py', { seq: 3 }] },
    ]);
    // Every contract channel reaches ipcRenderer under its own wire name.
    const wireNames = listChannels(ipcContract).map(({ name }) => name);
    for (const { namespace, method } of listChannels(ipcContract)) {
      await (api as unknown as Record<string, Record<string, () => Promise<unknown>>>)[namespace]![method]!();
    }
    expect(ipcRenderer.invocations.slice(2).map(({ channel }) => channel)).toEqual(wireNames);
  });

  it('turns an invoke that never reached the main process into an error envelope', async () => {
    const { api } = exposeWith(() => Promise.reject(new Error('An object could not be cloned.')));
    const result = await api.app.getInfo();
    expect(result).toMatchObject({ ok: false, error: { code: 'INTERNAL' } });
    expect(!result.ok && result.error.message).toContain('An object could not be cloned.');
  });

  it('subscribes on the event wire name, hands the listener only the payload, and returns a disposer that removes it', () => {
    const { api, ipcRenderer } = exposeWith();
    const wireName = eventChannelName('sessionClosed');
    const received: unknown[][] = [];

    const dispose = api.on('sessionClosed', (...args) => received.push(args));
    expect(ipcRenderer.listenerCount(wireName)).toBe(1);

    ipcRenderer.deliver(wireName, { sessionId: 'ses_1', status: 'COMPLETED' });
    expect(received).toEqual([[{ sessionId: 'ses_1', status: 'COMPLETED' }]]);

    dispose();
    expect(ipcRenderer.listenerCount(wireName)).toBe(0);
    ipcRenderer.deliver(wireName, { sessionId: 'ses_2', status: 'ABANDONED' });
    expect(received).toHaveLength(1);
  });

  it('keeps subscriptions independent: disposing one leaves the other', () => {
    const { api, ipcRenderer } = exposeWith();
    const wireName = eventChannelName('sessionClosed');
    const first: unknown[] = [];
    const second: unknown[] = [];
    const disposeFirst = api.on('sessionClosed', (payload) => first.push(payload));
    api.on('sessionClosed', (payload) => second.push(payload));

    disposeFirst();
    ipcRenderer.deliver(wireName, { sessionId: 'ses_1', status: 'EXPIRED' });

    expect(ipcRenderer.listenerCount(wireName)).toBe(1);
    expect(first).toEqual([]);
    expect(second).toEqual([{ sessionId: 'ses_1', status: 'EXPIRED' }]);
  });

  it('refuses an event stream the contract does not have, without touching ipcRenderer', () => {
    const { api, ipcRenderer } = exposeWith();
    expect(() => api.on('noSuchEvent' as 'sessionClosed', () => {})).toThrow(/noSuchEvent/);
    expect(ipcRenderer.eventNames()).toEqual([]);
  });
});
