import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createIpcHost, type IpcHost } from '../../../electron/ipc/handlers';
import { createInMemoryTransport, type InMemoryTransport } from '../../../electron/ipc/inMemoryTransport';
import { createIpcClient } from '../../../shared/ipc/client';
import { ipcContract } from '../../../shared/ipc/contract';
import type { InterviewLmClient } from '../../../renderer/src/interviewLmClient';
import type { MonacoApi } from '../../../renderer/src/workspace/editorFiles';
import { fileNameFor } from '../../../renderer/src/workspace/languages';
import { openWorkspace, type WorkspaceSession } from '../../../renderer/src/workspace/workspaceSession';
import { tempServices } from '../../helpers/tempServices';

type ContentListener = (event: { changes: [] }) => void;

interface FakeModel {
  uri: string;
  value: string;
  listeners: Set<ContentListener>;
}

/**
 * The part of Monaco the workspace's files use, with Monaco's rule that two live models never
 * share a URI. `failCreating` makes the next createModel of a matching URI throw, once.
 */
function fakeMonaco() {
  const live = new Map<string, FakeModel>();
  let failCreating: ((uri: string) => boolean) | null = null;
  const monaco = {
    editor: {
      create: () => {
        throw new Error('no editor in this test');
      },
      createModel: (value: string, _language: string, uri: { toString(): string }) => {
        const key = uri.toString();
        if (failCreating?.(key)) {
          failCreating = null;
          throw new Error(`model ${key} could not be made`);
        }
        if (live.has(key)) throw new Error('Cannot add model because it already exists!');
        const model: FakeModel = { uri: key, value, listeners: new Set() };
        live.set(key, model);
        return {
          getValue: () => model.value,
          setValue: (text: string) => void (model.value = text),
          setEOL: () => {},
          onDidChangeContent: (listener: ContentListener) => {
            model.listeners.add(listener);
            return { dispose: () => void model.listeners.delete(listener) };
          },
          dispose: () => void live.delete(key),
        };
      },
      setModelLanguage: () => {},
      EndOfLineSequence: { LF: 0 },
    },
    Uri: { from: ({ scheme, path }: { scheme: string; path: string }) => ({ toString: () => `${scheme}:${path}` }) },
    KeyMod: { CtrlCmd: 2048 },
    KeyCode: { Enter: 3 },
  };
  return {
    monaco: monaco as unknown as MonacoApi,
    live,
    failNextModelWhere(predicate: (uri: string) => boolean) {
      failCreating = predicate;
    },
  };
}

describe('openWorkspace', () => {
  let env: ReturnType<typeof tempServices>;
  let host: IpcHost;
  let transport: InMemoryTransport;
  let client: InterviewLmClient;
  /** Listeners the workspace holds on the client's events. */
  let listening: number;
  const opened: WorkspaceSession[] = [];

  beforeEach(() => {
    env = tempServices({}, { syncRunner: 'none', pickQuestion: () => 0 });
    host = createIpcHost(env.services, { name: 'InterviewLM', version: '0.0.0-test' });
    transport = createInMemoryTransport(host);
    const inner = createIpcClient(ipcContract, transport);
    listening = 0;
    client = {
      ...inner,
      on: ((event, listener) => {
        listening++;
        const off = inner.on(event, listener);
        return () => {
          listening--;
          off();
        };
      }) as InterviewLmClient['on'],
    };
  });

  afterEach(() => {
    for (const workspace of opened.splice(0)) workspace.dispose();
    transport.dispose();
    host.dispose();
    env.cleanup();
  });

  /** A session whose recording holds two files, as a crash would leave it for Resume. */
  const sessionWithTwoFiles = async (monaco: MonacoApi) => {
    const session = await client.sessions.createSession('cand_open');
    const first = await openWorkspace(client, monaco, session, false);
    first.files.create(fileNameFor('helper', first.question.language), first.question.language, '// helper\n');
    await first.recorder.flush();
    first.dispose();
    return client.sessions.getSession(session.id);
  };

  it('leaves nothing behind when it fails, so the session opens on the next try', async () => {
    const fake = fakeMonaco();
    const session = await sessionWithTwoFiles(fake.monaco);
    expect(fake.live.size).toBe(0);
    expect(listening).toBe(0);

    // Resume opens the files by name: helper.ts's model is made, then solution.ts's fails.
    const made: string[] = [];
    fake.failNextModelWhere((uri) => (made.push(uri), uri.includes('/solution.')));
    await expect(openWorkspace(client, fake.monaco, session, true)).rejects.toThrow(/could not be made/);
    expect(made.map((uri) => uri.split('/').at(-1))).toEqual(['helper.ts', 'solution.ts']);
    expect(fake.live.size).toBe(0);
    expect(listening).toBe(0);

    // Tried again (Resume pressed again), it opens with both files.
    const workspace = await openWorkspace(client, fake.monaco, session, true);
    opened.push(workspace);
    expect(workspace.files.list().map((file) => file.fileName).sort()).toEqual(['helper.ts', 'solution.ts']);
    expect(fake.live.size).toBe(2);
    expect(listening).toBe(1);
  });

  it('lets go of everything it opened when disposed', async () => {
    const fake = fakeMonaco();
    const session = await client.sessions.createSession('cand_dispose');
    const workspace = await openWorkspace(client, fake.monaco, session, false);
    expect([fake.live.size, listening]).toEqual([1, 1]);
    workspace.dispose();
    expect([fake.live.size, listening]).toEqual([0, 0]);
  });
});
