import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createIpcHost, type IpcHost } from '../../../electron/ipc/handlers';
import { createInMemoryTransport, type InMemoryTransport } from '../../../electron/ipc/inMemoryTransport';
import { AppError } from '../../../shared/errors';
import { createIpcClient } from '../../../shared/ipc/client';
import { ipcContract } from '../../../shared/ipc/contract';
import type { TextChange } from '../../../shared/recording/eventTypes';
import type { Session } from '../../../shared/recording/session';
import { applyTextChanges } from '../../../shared/replay/fileState';
import { EditorRecorder, type RecorderFailure } from '../../../renderer/src/recording/editorRecorder';
import type { InterviewLmClient } from '../../../renderer/src/interviewLmClient';
import type { RecordedFile } from '../../../renderer/src/workspace/editorFiles';
import { SessionWriter, claimSession, type WriterState } from '../../../renderer/src/workspace/sessionWriter';
import { tempServices } from '../../helpers/tempServices';

const FILE_ID = 'file-solution';

/** The window's one file, edited the way Monaco would; `reload` is what EditorFiles does with the recording's text. */
class FakeFiles {
  content = '';
  readonly reloads: RecordedFile[][] = [];

  type(text: string): TextChange[] {
    const change = { rangeOffset: this.content.length, rangeLength: 0, text };
    this.content = applyTextChanges(this.content, [change]);
    return [change];
  }

  reload(files: readonly RecordedFile[]): void {
    this.reloads.push([...files]);
    this.content = files.find((file) => file.fileId === FILE_ID)?.content ?? '';
  }
}

/** One window: its own caller, a real recorder wired as workspaceSession wires it, and its writer. */
interface Window {
  transport: InMemoryTransport;
  client: InterviewLmClient;
  recorder: EditorRecorder;
  files: FakeFiles;
  writer: SessionWriter;
  states: WriterState[];
  failures: RecorderFailure[];
}

describe('SessionWriter: "Use it here" between two windows on one session', () => {
  let env: ReturnType<typeof tempServices>;
  let host: IpcHost;
  const windows: Window[] = [];

  const connect = () => {
    const transport = createInMemoryTransport(host);
    return { transport, client: createIpcClient(ipcContract, transport) };
  };

  const openWindow = async (connection: ReturnType<typeof connect>, session: Session, heldElsewhere: boolean): Promise<Window> => {
    const { transport, client } = connection;
    const files = new FakeFiles();
    const recorded = await client.replay.getFileAt(session.id, FILE_ID, { seq: session.lastSeq });
    files.content = recorded?.content ?? '';
    let writer: SessionWriter | null = null;
    const acknowledged = <T extends { seq: number }>(ack: T) => (writer?.noteRecorded(ack.seq), ack);
    const recorder = new EditorRecorder({
      sink: {
        record: (sessionId, event) => client.sessions.recordEvent(sessionId, event).then(acknowledged),
        snapshot: (sessionId, snapshot) => client.sessions.recordCodeSnapshot(sessionId, snapshot).then(acknowledged),
      },
      readFile: (fileId) => (fileId === FILE_ID ? { fileId, fileName: 'solution.js', language: 'javascript', content: files.content } : null),
      editFlushMs: 0,
      idleSnapshotMs: 60_000,
    });
    writer = new SessionWriter({ client, session, recorder, files, loadedAtSeq: session.lastSeq, heldElsewhere });
    const window: Window = { transport, client, recorder, files, writer, states: [writer.state], failures: [] };
    writer.onDidChangeState((state) => window.states.push(state));
    recorder.onDidFail((failure) => window.failures.push(failure));
    recorder.start(session.id);
    windows.push(window);
    return window;
  };

  /** The first window: starts the session and creates the file. */
  const startInterview = async (): Promise<{ first: Window; session: Session }> => {
    const connection = connect();
    const session = await connection.client.sessions.createSession('cand_writer');
    const first = await openWindow(connection, session, false);
    first.recorder.fileCreated({ fileId: FILE_ID, fileName: 'solution.js', language: 'javascript', content: '' });
    first.recorder.contentChanged(FILE_ID, first.files.type('hello'));
    await first.recorder.flush();
    return { first, session };
  };

  /** A second window on the same session, as a duplicated tab opens it. */
  const openSecond = async (session: Session): Promise<Window> => {
    const connection = connect();
    const claimed = await claimSession(connection.client, session.id, { retryForMs: 0 });
    expect(claimed.heldElsewhere).toBe(true);
    return openWindow(connection, claimed.session, true);
  };

  const recordedFile = (session: Session) => env.services.replay.getFilesAt(session.id, { seq: env.services.replay.getAllEvents(session.id).at(-1)!.seq }).find((file) => file.fileId === FILE_ID)?.content;
  const typesWrittenSince = (session: Session, seq: number) => env.services.replay.getAllEvents(session.id).filter((event) => event.seq > seq).map((event) => event.type);
  const lastSeq = (session: Session) => env.services.replay.getAllEvents(session.id).at(-1)!.seq;
  /** Until the other window has heard of the takeover (events travel asynchronously). */
  const untilState = async (window: Window, state: WriterState) => {
    await expect.poll(() => window.writer.state).toBe(state);
  };

  beforeEach(() => {
    env = tempServices({}, { syncRunner: 'none' });
    host = createIpcHost(env.services, { name: 'InterviewLM', version: '0.0.0-test' });
  });
  afterEach(() => {
    for (const window of windows.splice(0)) {
      window.writer.dispose();
      window.recorder.dispose();
      window.transport.dispose();
    }
    host.dispose();
    env.cleanup();
  });

  it('a window that opens a session held elsewhere writes nothing, and after "Use it here" sends what it held', async () => {
    const { first, session } = await startInterview();
    const second = await openSecond(session);
    const before = lastSeq(session);
    second.recorder.questionViewed('q_1');
    second.recorder.focused('window');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(second.writer.state).toBe('elsewhere');
    expect(second.recorder.isPaused).toBe(true);
    expect(typesWrittenSince(session, before)).toEqual([]);

    await second.writer.takeOver();
    await second.recorder.flush();
    expect(second.states).toEqual(['elsewhere', 'takingOver', 'here']);
    expect(typesWrittenSince(session, before)).toEqual(['question_viewed', 'focus']);
    // The first window heard it, stopped writing, and holds what it records from now on.
    await untilState(first, 'elsewhere');
    first.recorder.focused('editor');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(typesWrittenSince(session, before)).toEqual(['question_viewed', 'focus']);
    expect(first.recorder.isPaused).toBe(true);
  });

  it('taken back with the code unchanged meanwhile, the held edits are recorded exactly as typed', async () => {
    const { first, session } = await startInterview();
    const second = await openSecond(session);
    await second.writer.takeOver();
    await untilState(first, 'elsewhere');
    // Typed in the first window before the overlay covered it.
    first.recorder.contentChanged(FILE_ID, first.files.type(' world'));
    second.recorder.focused('window');
    await second.recorder.flush();

    await first.writer.takeOver();
    await first.recorder.flush();
    expect(first.writer.state).toBe('here');
    expect(first.files.reloads).toEqual([]);
    expect(first.failures).toEqual([]);
    expect(recordedFile(session)).toBe('hello world');
    await untilState(second, 'elsewhere');
    expect(await env.services.sessions.verifySession(session.id)).toMatchObject({ valid: true });
  });

  it('taken back after the other window changed the code, the files become the recording and held edits to them are reported, not misplaced', async () => {
    const { first, session } = await startInterview();
    const second = await openSecond(session);
    await second.writer.takeOver();
    await untilState(first, 'elsewhere');
    first.recorder.contentChanged(FILE_ID, first.files.type(' stale'));
    first.recorder.focused('editor');
    second.recorder.contentChanged(FILE_ID, second.files.type('!'));
    await second.recorder.flush();
    expect(recordedFile(session)).toBe('hello!');

    await first.writer.takeOver();
    await first.recorder.flush();
    expect(first.files.content).toBe('hello!');
    expect(first.files.reloads).toHaveLength(1);
    expect(first.failures).toMatchObject([{ type: 'code_edit', willRetry: false, error: expect.objectContaining({ code: 'SESSION_OPEN_ELSEWHERE' }) }]);
    // The rest of what it held still goes: the focus.
    expect(env.services.replay.getAllEvents(session.id).at(-1)).toMatchObject({ type: 'focus', data: { target: 'editor' } });
    first.recorder.contentChanged(FILE_ID, first.files.type('?'));
    await first.recorder.flush();
    expect(recordedFile(session)).toBe('hello!?');
    expect(await env.services.sessions.verifySession(session.id)).toMatchObject({ valid: true });
  });

  it('stays behind the overlay, saying why, when taking over fails', async () => {
    const { session } = await startInterview();
    const second = await openSecond(session);
    await env.services.sessions.closeSession(session.id, 'COMPLETED');
    await second.writer.takeOver();
    expect(second.writer.state).toBe('elsewhere');
    expect(second.writer.error).toMatch(/SESSION_CLOSED/);
  });
});

describe('claimSession', () => {
  let env: ReturnType<typeof tempServices>;
  let host: IpcHost;
  beforeEach(() => {
    env = tempServices({}, { syncRunner: 'none' });
    host = createIpcHost(env.services, { name: 'InterviewLM', version: '0.0.0-test' });
  });
  afterEach(() => {
    host.dispose();
    env.cleanup();
  });

  it("keeps asking while the old page's connection lingers (a reload), and gets the session once it is gone", async () => {
    const old = createInMemoryTransport(host);
    const oldClient = createIpcClient(ipcContract, old);
    const session = await oldClient.sessions.createSession('cand_reload');
    await oldClient.sessions.recordEvent(session.id, { type: 'focus', data: {} });
    const reloaded = createIpcClient(ipcContract, createInMemoryTransport(host));
    let attempts = 0;
    const claimed = await claimSession(reloaded, session.id, {
      intervalMs: 10,
      sleep: async () => {
        attempts += 1;
        // The main process sees the old page's socket close after the new page first asked.
        if (attempts === 3) old.dispose();
      },
    });
    expect(claimed).toMatchObject({ heldElsewhere: false, session: { id: session.id, status: 'ACTIVE' } });
    expect(attempts).toBe(3);
    await reloaded.sessions.recordEvent(session.id, { type: 'blur', data: {} });
  });

  it('gives up after its time and opens the session as held elsewhere; other errors are thrown', async () => {
    const holder = createIpcClient(ipcContract, createInMemoryTransport(host));
    const session = await holder.sessions.createSession('cand_held');
    await holder.sessions.recordEvent(session.id, { type: 'focus', data: {} });
    const other = createIpcClient(ipcContract, createInMemoryTransport(host));
    let time = 0;
    const claimed = await claimSession(other, session.id, { retryForMs: 1000, intervalMs: 250, now: () => time, sleep: async (ms) => void (time += ms) });
    expect(claimed).toMatchObject({ heldElsewhere: true, session: { id: session.id, lastSeq: 2 } });
    expect(time).toBe(1000);
    const error = await claimSession(other, 'ses_missing', { retryForMs: 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: 'SESSION_NOT_FOUND' });
  });
});
