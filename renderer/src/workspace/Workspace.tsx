import { useCallback, useEffect, useRef, useState } from 'react';
import type { ChatContext } from '../../../shared/ai/chat';
import { MAX_CONTEXT_CODE_LENGTH, MAX_PROBLEM_DESCRIPTION_LENGTH } from '../../../shared/ai/chatLimits';
import type { ExecutionResult, LanguageAvailability } from '../../../shared/execution/testCases';
import { QUESTION_LANGUAGES, type QuestionLanguage } from '../../../shared/questions/questionLanguages';
import { describeError } from '../describeError';
import type { InterviewLmClient } from '../interviewLmClient';
import { SettingsButton } from '../settings/SettingsScreen';
import { AssistantPanel } from './AssistantPanel';
import type { WorkspaceFile } from './editorFiles';
import { EndInterviewButton } from './EndInterviewButton';
import { FileTabs } from './FileTabs';
import { fileNameFor, isQuestionLanguage, LANGUAGE_LABELS } from './languages';
import { MonacoEditor } from './MonacoEditor';
import { OpenElsewhereOverlay, useWriterState } from './OpenElsewhereOverlay';
import { QuestionPanel } from './QuestionPanel';
import { RecorderStatus } from './RecorderStatus';
import { ResultsPanel } from './ResultsPanel';
import { SyncIndicator } from './SyncIndicator';
import { Timer } from './Timer';
import { useSyncStatus } from './useSyncStatus';
import type { WorkspaceSession } from './workspaceSession';

export interface WorkspaceProps {
  client: InterviewLmClient;
  workspace: WorkspaceSession;
  /** End interview was confirmed; the open file is the one to submit. */
  onEnd(activeFileId: string | null): void;
}

/** How long a test run waits for queued events, so the run follows the code it ran in the recording. */
const SETTLE_BEFORE_RUN_MS = 2000;

/**
 * The interview: the question, the editor with its files and language, Run tests and the
 * results, the assistant, the timer, the sync indicator and End interview. Window focus,
 * blur and visibility go to the recorder from here.
 */
export function Workspace({ client, workspace, onEnd }: WorkspaceProps) {
  const { session, question, files, recorder, monaco, writer } = workspace;
  const writerState = useWriterState(writer);
  const [fileList, setFileList] = useState<WorkspaceFile[]>(() => files.list());
  const [activeFileId, setActiveFileId] = useState<string | null>(() => files.list()[0]?.fileId ?? null);
  const [result, setResult] = useState<ExecutionResult | null>(null);
  const [running, setRunning] = useState(false);
  const [runError, setRunError] = useState<string | null>(null);
  const [languages, setLanguages] = useState<LanguageAvailability[]>([]);
  const syncStatus = useSyncStatus(client, session.id);
  const activeFile = fileList.find((file) => file.fileId === activeFileId) ?? null;

  useEffect(() => files.onDidChangeFiles(setFileList), [files]);

  // Another window deleted the open file (the files were reloaded from the recording): show another.
  useEffect(() => {
    if (activeFileId !== null && !fileList.some((file) => file.fileId === activeFileId)) setActiveFileId(fileList[0]?.fileId ?? null);
  }, [fileList, activeFileId]);

  useEffect(() => {
    let live = true;
    client.execution.listLanguages().then(
      (list) => live && setLanguages(list),
      () => {},
    );
    return () => {
      live = false;
    };
  }, [client]);

  useEffect(() => {
    const focus = () => recorder.focused('window');
    const blur = () => recorder.blurred('window');
    const visibility = () => recorder.visibilityChanged(document.visibilityState === 'visible');
    const unload = () => recorder.unload();
    window.addEventListener('focus', focus);
    window.addEventListener('blur', blur);
    document.addEventListener('visibilitychange', visibility);
    window.addEventListener('pagehide', unload);
    return () => {
      window.removeEventListener('focus', focus);
      window.removeEventListener('blur', blur);
      document.removeEventListener('visibilitychange', visibility);
      window.removeEventListener('pagehide', unload);
    };
  }, [recorder]);

  const runTests = useCallback(async () => {
    // Ctrl/Cmd+Enter still reaches here under the overlay; the run would be refused.
    if (running || !activeFile || writer.state !== 'here') return;
    if (!isQuestionLanguage(activeFile.language)) {
      setRunError('Tests run JavaScript, TypeScript or Python: pick one for this file.');
      return;
    }
    setRunning(true);
    setRunError(null);
    try {
      const code = files.content(activeFile.fileId);
      // A recorder stuck retrying must not block the run; its events still go, later.
      await Promise.race([recorder.flush(), new Promise((resolve) => setTimeout(resolve, SETTLE_BEFORE_RUN_MS))]);
      setResult(await client.questions.runTests(session.id, { questionId: question.id, code, language: activeFile.language }));
    } catch (error) {
      setRunError(describeError(error));
    } finally {
      setRunning(false);
    }
  }, [running, activeFile, files, recorder, client, session.id, question.id, writer]);

  // Ctrl/Cmd+Enter outside the editor (Monaco handles it inside and stops the event).
  const runShortcut = useRef(runTests);
  useEffect(() => {
    runShortcut.current = runTests;
  }, [runTests]);
  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.key !== 'Enter' || !(event.ctrlKey || event.metaKey) || event.defaultPrevented) return;
      event.preventDefault();
      void runShortcut.current();
    };
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, []);

  const selectFile = (fileId: string) => {
    if (fileId === activeFileId) return;
    setActiveFileId(fileId);
    recorder.fileOpened(fileId);
  };

  const createFile = () => {
    const names = new Set(fileList.map((file) => file.fileName.toLowerCase()));
    const language = activeFile && isQuestionLanguage(activeFile.language) ? activeFile.language : question.language;
    let index = 1;
    while (names.has(fileNameFor(`untitled-${index}`, language).toLowerCase())) index += 1;
    const file = files.create(fileNameFor(`untitled-${index}`, language), language, '');
    setActiveFileId(file.fileId);
  };

  const deleteFile = (fileId: string) => {
    const remaining = fileList.filter((file) => file.fileId !== fileId);
    if (remaining.length === 0) return;
    if (fileId === activeFileId) setActiveFileId(remaining[0]!.fileId);
    files.delete(fileId);
  };

  const changeLanguage = (language: QuestionLanguage) => {
    if (!activeFile || activeFile.language === language) return;
    const starter = isQuestionLanguage(activeFile.language) ? question.starterCode[activeFile.language] : null;
    const untouched = starter !== null && files.content(activeFile.fileId).trim() === starter.trim();
    files.setLanguage(activeFile.fileId, language);
    // Untouched starter code follows the language; the candidate's own code is never replaced.
    if (untouched) files.replaceContent(activeFile.fileId, question.starterCode[language]);
  };

  const chatContext = (): ChatContext => ({
    problemTitle: question.title.slice(0, 500),
    problemDescription: question.description.slice(0, MAX_PROBLEM_DESCRIPTION_LENGTH),
    ...(activeFile ? { language: activeFile.language, currentCode: files.content(activeFile.fileId).slice(0, MAX_CONTEXT_CODE_LENGTH) } : {}),
  });

  const availability = (language: QuestionLanguage) => languages.find((entry) => entry.language === language);

  return (
    <div className="workspace">
      <header className="workspace-bar">
        <strong>{session.candidateId}</strong>
        <Timer since={session.startedAt} />
        <SyncIndicator status={syncStatus} />
        <RecorderStatus recorder={recorder} />
        <span className="spacer" />
        <SettingsButton client={client} compact />
        <EndInterviewButton onConfirm={() => onEnd(activeFileId)} />
      </header>
      <div className="workspace-main">
        <QuestionPanel question={question} />
        <section className="editor-column" aria-label="Editor">
          <div className="editor-toolbar">
            <FileTabs files={fileList} activeFileId={activeFileId} onSelect={selectFile} onCreate={createFile} onRename={(fileId, name) => files.rename(fileId, name)} onDelete={deleteFile} />
            <select
              data-testid="language-select"
              aria-label="Language"
              value={activeFile && isQuestionLanguage(activeFile.language) ? activeFile.language : ''}
              disabled={!activeFile}
              onChange={(event) => changeLanguage(event.target.value as QuestionLanguage)}
            >
              {activeFile && !isQuestionLanguage(activeFile.language) && <option value="">Plain text</option>}
              {QUESTION_LANGUAGES.map((language) => {
                const entry = availability(language);
                return (
                  <option key={language} value={language} title={entry?.detail}>
                    {LANGUAGE_LABELS[language]}
                    {entry && !entry.available ? ' (not installed)' : ''}
                  </option>
                );
              })}
            </select>
            <button type="button" data-testid="run-tests" disabled={running || !activeFile} onClick={() => void runTests()} title="Ctrl/Cmd+Enter">
              {running ? 'Running…' : 'Run tests'}
            </button>
          </div>
          <MonacoEditor monaco={monaco} files={files} activeFileId={activeFileId} recorder={recorder} onRunShortcut={() => void runShortcut.current()} readOnly={writerState !== 'here'} />
          <ResultsPanel result={result} running={running} error={runError} examples={question.examples} />
        </section>
        <AssistantPanel client={client} sessionId={session.id} recorder={recorder} context={chatContext} />
      </div>
      <OpenElsewhereOverlay writer={writer} />
    </div>
  );
}
