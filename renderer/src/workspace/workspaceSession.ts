import type { AssignedPublicQuestion } from '../../../shared/questions/question';
import type { Session } from '../../../shared/recording/session';
import type { InterviewLmClient } from '../interviewLmClient';
import { EditorRecorder } from '../recording/editorRecorder';
import { EditorFiles, type MonacoApi } from './editorFiles';
import { fileNameFor } from './languages';

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
  /** Stops the recorder and disposes the models (after End interview's flush). */
  dispose(): void;
}

/**
 * Opens the workspace for a session that is recording: its current question (started if
 * new), and the files: the starter file for a new session, or the files the recording holds
 * for a resumed one. Recording starts here, after Start: nothing before.
 */
export async function openWorkspace(client: InterviewLmClient, monaco: MonacoApi, session: Session, resumed: boolean): Promise<WorkspaceSession> {
  let question = await client.questions.next(session.id);
  if (question.status === 'PENDING') question = await client.questions.start(question.id);
  const existing = resumed
    ? (await client.replay.getFilesAt(session.id, { seq: session.lastSeq })).filter((file) => file.exists).sort((a, b) => a.fileName.localeCompare(b.fileName))
    : [];

  let files: EditorFiles | null = null;
  const recorder = new EditorRecorder({
    sink: {
      record: (sessionId, event) => client.sessions.recordEvent(sessionId, event),
      snapshot: (sessionId, snapshot) => client.sessions.recordCodeSnapshot(sessionId, snapshot),
    },
    readFile: (fileId) => files?.snapshotOf(fileId) ?? null,
  });
  const editorFiles = new EditorFiles(monaco, recorder);
  files = editorFiles;

  recorder.start(session.id);
  recorder.questionViewed(question.id);
  if (existing.length > 0) editorFiles.restore(existing);
  else editorFiles.create(fileNameFor('solution', question.language), question.language, question.starterCode[question.language]);

  return {
    session,
    question,
    files: editorFiles,
    recorder,
    monaco,
    dispose() {
      recorder.dispose();
      editorFiles.dispose();
    },
  };
}
