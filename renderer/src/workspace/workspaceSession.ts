import type { AssignedPublicQuestion } from '../../../shared/questions/question';
import type { Session } from '../../../shared/recording/session';
import type { InterviewLmClient } from '../interviewLmClient';
import { EditorRecorder } from '../recording/editorRecorder';
import { EditorFiles, type MonacoApi } from './editorFiles';
import { fileNameFor } from './languages';
import { SessionWriter } from './sessionWriter';

/**
 * One running interview: the session, its question, the candidate's files and the recorder.
 * Built outside React (when Start or Resume is pressed), so a re-rendered or re-mounted
 * component never creates a second recorder or records a file twice.
 */
export interface WorkspaceSession {
  session: Session;
  question: AssignedPublicQuestion;
  files: EditorFiles;
  recorder: EditorRecorder;
  monaco: MonacoApi;
  /** Whether this window writes the session, or another one does ("Use it here"). */
  writer: SessionWriter;
  /** Stops the recorder and disposes the models (after End interview's flush). */
  dispose(): void;
}

/**
 * Opens the workspace for a session that is recording: its current question (started if
 * new), and the files: the starter file for a new session, or the files the recording holds
 * for a resumed one. Recording starts here, after Start: nothing before. `heldElsewhere`: another
 * window writes this session, so this one opens with its recorder paused, behind "Use it here".
 */
export async function openWorkspace(client: InterviewLmClient, monaco: MonacoApi, session: Session, resumed: boolean, heldElsewhere = false): Promise<WorkspaceSession> {
  let question = await client.questions.next(session.id);
  if (question.status === 'PENDING') question = await client.questions.start(question.id);
  const existing = resumed
    ? (await client.replay.getFilesAt(session.id, { seq: session.lastSeq })).filter((file) => file.exists).sort((a, b) => a.fileName.localeCompare(b.fileName))
    : [];

  let files: EditorFiles | null = null;
  let writer: SessionWriter | null = null;
  // Each acknowledged write tells the writer how far the recording matches this window's files.
  const acknowledged = <T extends { seq: number }>(ack: T): T => {
    writer?.noteRecorded(ack.seq);
    return ack;
  };
  const recorder = new EditorRecorder({
    sink: {
      record: (sessionId, event) => client.sessions.recordEvent(sessionId, event).then(acknowledged),
      snapshot: (sessionId, snapshot) => client.sessions.recordCodeSnapshot(sessionId, snapshot).then(acknowledged),
    },
    readFile: (fileId) => files?.snapshotOf(fileId) ?? null,
  });
  const editorFiles = new EditorFiles(monaco, recorder);
  files = editorFiles;
  const sessionWriter = new SessionWriter({ client, session, recorder, files: editorFiles, loadedAtSeq: session.lastSeq, heldElsewhere });
  writer = sessionWriter;

  try {
    recorder.start(session.id);
    recorder.questionViewed(question.id);
    if (existing.length > 0) editorFiles.restore(existing);
    else editorFiles.create(fileNameFor('solution', question.language), question.language, question.starterCode[question.language]);
  } catch (error) {
    // Nothing of a workspace that did not open may outlive it: a model left behind would hold
    // its file's URI, and the next Resume of this session in this page could not make it again.
    sessionWriter.dispose();
    recorder.dispose();
    editorFiles.dispose();
    throw error;
  }

  return {
    session,
    question,
    files: editorFiles,
    recorder,
    monaco,
    writer: sessionWriter,
    dispose() {
      sessionWriter.dispose();
      recorder.dispose();
      editorFiles.dispose();
    },
  };
}
