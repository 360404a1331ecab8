// Electron cannot run here (no binary; `require('electron')` throws under Node): the bridge is
// driven through a fake ipcMain (fakeIpcMain.ts) in front of real services on a temp folder.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { forwardIpcEvents, registerIpcHandlers, type EventSink } from '../../../electron/main/ipcMainBridge';
import { createTrustedSenderCheck } from '../../../electron/main/trustedSender';
import { exposeInterviewLmApi, API_GLOBAL_NAME } from '../../../electron/preload/exposeApi';
import { createIpcHost, type IpcHost } from '../../../electron/ipc/handlers';
import { configForDataDir } from '../../../electron/services/config';
import { createServices, type Services } from '../../../electron/services/container';
import { isAppError } from '../../../shared/errors';
import { bridgeTransport, type IpcBridge } from '../../../shared/ipc/bridge';
import { eventChannelName, listChannels } from '../../../shared/ipc/channel';
import { createIpcClient } from '../../../shared/ipc/client';
import { ipcContract, type InterviewLmContract } from '../../../shared/ipc/contract';
import { FakeContextBridge, FakeIpcRenderer } from '../preload/fakePreloadElectron';
import { FakeIpcMain, FakeSender, fromGoneFrame, fromMainFrame, fromSubFrame } from './fakeIpcMain';

const RENDERER_INDEX_FILE = join(tmpdir(), 'InterviewLM', 'out', 'renderer', 'index.html');
const APP_PAGE_URL = pathToFileURL(RENDERER_INDEX_FILE).href;
const isTrustedSender = createTrustedSenderCheck({ rendererIndexFile: RENDERER_INDEX_FILE });

let dataDir: string;
let services: Services;
let host: IpcHost;

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'interviewlm-shell-'));
  services = createServices(configForDataDir(dataDir));
  host = createIpcHost(services, { name: 'InterviewLM', version: '0.0.0-test' });
});

afterEach(() => {
  host.dispose();
  services.dispose();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('registerIpcHandlers', () => {
  it('registers one handler per contract channel, and nothing else', () => {
    const ipcMain = new FakeIpcMain();
    registerIpcHandlers(ipcMain, host, isTrustedSender);
    expect([...ipcMain.handlers.keys()].sort()).toEqual(listChannels(ipcContract).map(({ name }) => name).sort());
  });

  it('removes every handler it registered when disposed', () => {
    const ipcMain = new FakeIpcMain();
    const dispose = registerIpcHandlers(ipcMain, host, isTrustedSender);
    dispose();
    expect(ipcMain.handlers.size).toBe(0);
    // Registering again after disposal works: nothing was left behind.
    expect(() => registerIpcHandlers(ipcMain, host, isTrustedSender)).not.toThrow();
  });

  it("answers the app's own page with the router's envelope", async () => {
    const ipcMain = new FakeIpcMain();
    registerIpcHandlers(ipcMain, host, isTrustedSender);
    await expect(ipcMain.invoke(fromMainFrame(`${APP_PAGE_URL}#/start`), 'app:getInfo')).resolves.toEqual({
      ok: true,
      value: { name: 'InterviewLM', version: '0.0.0-test', dataDir, databasePath: services.config.databasePath },
    });
  });

  it.each([
    ['another site', fromMainFrame('https://attacker.example/')],
    ['another local file', fromMainFrame(pathToFileURL(join(tmpdir(), 'download.html')).href)],
    ['a sub-frame, even at our URL', fromSubFrame(APP_PAGE_URL, APP_PAGE_URL)],
    ['a frame that is gone', fromGoneFrame],
  ])('refuses %s with an error envelope that never reaches the router', async (_what, event) => {
    const ipcMain = new FakeIpcMain();
    const onRefusedSender = vi.fn();
    registerIpcHandlers(ipcMain, host, isTrustedSender, { onRefusedSender });
    const invoke = vi.spyOn(host.router, 'invoke');

    const result = await ipcMain.invoke(event, 'sessions:createSession', 'cand_1');

    expect(result).toMatchObject({ ok: false, error: { code: 'UNTRUSTED_SENDER', message: expect.stringContaining('Refused sessions:createSession') } });
    expect(invoke).not.toHaveBeenCalled();
    expect(onRefusedSender).toHaveBeenCalledWith('sessions:createSession', expect.any(String));
    expect(await services.sessions.listInterruptedSessions()).toEqual([]);
  });

  it.each([
    ['a wrong type', [42]],
    ['an empty candidate id', ['']],
    ['an unknown option', ['cand_1', { colour: 'blue' }]],
  ])('answers a request with %s with VALIDATION_FAILED', async (_what, args) => {
    const ipcMain = new FakeIpcMain();
    registerIpcHandlers(ipcMain, host, isTrustedSender);
    const result = await ipcMain.invoke(fromMainFrame(APP_PAGE_URL), 'sessions:createSession', ...args);
    expect(result).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
  });

  it('passes service errors through as their own codes', async () => {
    const ipcMain = new FakeIpcMain();
    registerIpcHandlers(ipcMain, host, isTrustedSender);
    const result = await ipcMain.invoke(fromMainFrame(APP_PAGE_URL), 'sessions:getSession', 'ses_missing');
    expect(result).toMatchObject({ ok: false, error: { code: 'SESSION_NOT_FOUND' } });
  });

  it('makes each window a caller: one writer per session across windows, freed when the writing window is destroyed', async () => {
    const ipcMain = new FakeIpcMain();
    const dispose = registerIpcHandlers(ipcMain, host, isTrustedSender);
    const [first, second] = [new FakeSender(), new FakeSender()];
    const session = ((await ipcMain.invoke(fromMainFrame(APP_PAGE_URL, first), 'sessions:createSession', 'cand_windows')) as { value: { id: string } }).value;
    const keystroke = { type: 'keystroke', data: { key: 'k' } };
    expect(await ipcMain.invoke(fromMainFrame(APP_PAGE_URL, first), 'sessions:recordEvent', session.id, keystroke)).toMatchObject({ ok: true });
    expect(await ipcMain.invoke(fromMainFrame(APP_PAGE_URL, second), 'sessions:recordEvent', session.id, keystroke)).toMatchObject({
      ok: false,
      error: { code: 'SESSION_OPEN_ELSEWHERE' },
    });
    // A reload keeps the webContents (and its id): still the writer.
    expect(await ipcMain.invoke(fromMainFrame(`${APP_PAGE_URL}#reloaded`, first), 'sessions:recordEvent', session.id, keystroke)).toMatchObject({ ok: true });
    first.destroy();
    expect(await ipcMain.invoke(fromMainFrame(APP_PAGE_URL, second), 'sessions:recordEvent', session.id, keystroke)).toMatchObject({ ok: true });
    expect(host.sessionWriters.holderOf(session.id)).toBe(`window:${second.id}`);
    // Removing the handlers disconnects every window it knew.
    dispose();
    expect(host.sessionWriters.holderOf(session.id)).toBeNull();
  });
});

describe('forwardIpcEvents', () => {
  const sink = () => {
    const sent: { channel: string; payload: unknown }[] = [];
    let destroyed = false;
    const target: EventSink & { destroy(): void } = {
      isDestroyed: () => destroyed,
      send: (channel, payload) => sent.push({ channel, payload }),
      destroy: () => (destroyed = true),
    };
    return { target, sent };
  };

  it('sends each contract event to the page on its wire name', async () => {
    const { target, sent } = sink();
    forwardIpcEvents(host, target);
    const session = await services.sessions.createSession('cand_1');
    await services.sessions.closeSession(session.id, 'COMPLETED');
    expect(sent).toEqual([{ channel: eventChannelName('sessionClosed'), payload: { sessionId: session.id, status: 'COMPLETED' } }]);
  });

  it('drops events once the window is destroyed, and stops when disposed', async () => {
    const { target, sent } = sink();
    const dispose = forwardIpcEvents(host, target);
    target.destroy();
    const first = await services.sessions.createSession('cand_1');
    await services.sessions.closeSession(first.id, 'ABANDONED');
    expect(sent).toEqual([]);

    const { target: next, sent: nextSent } = sink();
    const disposeNext = forwardIpcEvents(host, next);
    dispose();
    disposeNext();
    const second = await services.sessions.createSession('cand_2');
    await services.sessions.closeSession(second.id, 'ABANDONED');
    expect(nextSent).toEqual([]);
  });
});

describe('the shell end to end: page client -> preload bridge -> ipcMain -> router -> services', () => {
  /** Wires the real preload to the real bridge through the fakes, as Electron would. */
  function connectPage(frameUrl: string) {
    const ipcMain = new FakeIpcMain();
    registerIpcHandlers(ipcMain, host, isTrustedSender);
    const ipcRenderer = new FakeIpcRenderer((channel, args) => ipcMain.invoke(fromMainFrame(frameUrl), channel, ...args));
    forwardIpcEvents(host, { isDestroyed: () => false, send: (channel, payload) => ipcRenderer.deliver(channel, payload) });
    const contextBridge = new FakeContextBridge();
    exposeInterviewLmApi(contextBridge, ipcRenderer);
    const bridge = contextBridge.exposed.get(API_GLOBAL_NAME) as IpcBridge<InterviewLmContract>;
    return createIpcClient(ipcContract, bridgeTransport(ipcContract, bridge));
  }

  it('starts, closes and reports a session, with the close event reaching the page', async () => {
    const client = connectPage(APP_PAGE_URL);
    const closed: unknown[] = [];
    const dispose = client.on('sessionClosed', (payload) => closed.push(payload));

    const session = await client.sessions.createSession('cand_1', { questionId: 'q_two_sum' });
    expect(session).toMatchObject({ candidateId: 'cand_1', questionId: 'q_two_sum', status: 'ACTIVE' });
    const done = await client.sessions.closeSession(session.id, 'ABANDONED');
    expect(done.status).toBe('ABANDONED');
    expect(closed).toEqual([{ sessionId: session.id, status: 'ABANDONED' }]);
    dispose();
  });

  it('rethrows error envelopes as AppErrors on the page', async () => {
    const client = connectPage(APP_PAGE_URL);
    const failure = await client.sessions.createSession('').catch((error: unknown) => error);
    expect(isAppError(failure, 'VALIDATION_FAILED')).toBe(true);
  });

  it('gives a page at a foreign URL nothing', async () => {
    const client = connectPage('https://attacker.example/');
    const failure = await client.app.getInfo().catch((error: unknown) => error);
    expect(isAppError(failure, 'UNTRUSTED_SENDER')).toBe(true);
  });
});
