import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { Session } from '../../shared/recording/session';
import { loadBundledMonaco } from './bundledMonaco';
import { describeError } from './describeError';
import type { InterviewLmClient } from './interviewLmClient';
import { loadOnce } from './loadOnce';
import type { EditorRecorder } from './recording/editorRecorder';
import { whenIdle } from './whenIdle';
import { DoneScreen } from './workspace/DoneScreen';
import type { MonacoApi } from './workspace/editorFiles';
import { saveAndSubmit, type EndedInterview, type EndStep, type Submission } from './workspace/endInterview';
import { EndingScreen } from './workspace/EndingScreen';
import { StartScreen } from './workspace/StartScreen';
import { Workspace } from './workspace/Workspace';
import { openWorkspace, type WorkspaceSession } from './workspace/workspaceSession';
import { warmUpEditor } from './workspace/warmUpEditor';
import { claimSession, type ClaimedSession } from './workspace/sessionWriter';

/** The client is passed in, so a test can hand in one over an in-memory transport. */
export interface AppProps {
  client: InterviewLmClient;
  /** Loads Monaco; by default the bundled one (monacoSetup), already on its way as the page starts. */
  loadMonaco?: () => Promise<MonacoApi>;
}

type Screen =
  | { kind: 'start'; error: string | null }
  | { kind: 'opening'; message: string }
  | { kind: 'workspace'; workspace: WorkspaceSession }
  | { kind: 'ending'; sessionId: string; recorder: EditorRecorder; step: EndStep | 'syncing'; error: string | null; ended: EndedInterview | null }
  | { kind: 'done'; ended: EndedInterview };

/** The session this tab is recording, kept across a reload of the page (not across tabs or restarts). */
const CURRENT_SESSION_KEY = 'interviewlm.currentSession';

/** The screens: Start (or Resume) → Workspace → End interview's progress → Done. */
export function App({ client, loadMonaco = loadBundledMonaco }: AppProps) {
  const [screen, setScreen] = useState<Screen>({ kind: 'start', error: null });
  const skipSaving = useRef<() => void>(() => {});
  const submission = useRef<Submission>(null);
  const monacoLoaded = useMemo(() => loadOnce(loadMonaco), [loadMonaco]);
  /** Set once Start or Resume is pressed: from then on the real editor is on its way. */
  const opening = useRef(false);
  const cancelWarmUp = useRef<() => void>(() => {});

  // While the start screen waits for the candidate, Monaco, megabytes of script, finishes
  // loading (it started with the page: bundledMonaco); then, in an idle moment, an editor is
  // warmed up. Pressed a second or more later, Start then only has the session and the editor
  // to create (~200 ms, from ~750 ms when all of it waited for Start). A failed load is not
  // shown here: Start tries again and reports it.
  useEffect(() => {
    let live = true;
    monacoLoaded().then(
      (monaco) => {
        if (!live || opening.current) return;
        cancelWarmUp.current = whenIdle(() => {
          cancelWarmUp.current = warmUpEditor(monaco, document);
        });
      },
      () => {},
    );
    return () => {
      live = false;
      cancelWarmUp.current();
    };
  }, [monacoLoaded]);

  /** Opens the workspace for a session that `begin` starts or resumes; back to Start if it fails. */
  const open = async (message: string, begin: () => Promise<Session | ClaimedSession>, resumed: boolean) => {
    setScreen({ kind: 'opening', message });
    // A warm-up not yet done would only compete with the real editor now.
    opening.current = true;
    cancelWarmUp.current();
    try {
      // Monaco first: if the editor cannot load, no session is started for nothing.
      const monaco = await monacoLoaded();
      const begun = await begin();
      // A resumed session may be held by another window: it opens behind "Use it here".
      const { session, heldElsewhere } = 'heldElsewhere' in begun ? begun : { session: begun, heldElsewhere: false };
      sessionStorage.setItem(CURRENT_SESSION_KEY, session.id);
      setScreen({ kind: 'opening', message: 'Preparing your question…' });
      setScreen({ kind: 'workspace', workspace: await openWorkspace(client, monaco, session, resumed, heldElsewhere) });
    } catch (error) {
      setScreen({ kind: 'start', error: describeError(error) });
    }
  };

  const close = useCallback(
    async (sessionId: string) => {
      setScreen((current) => (current.kind === 'ending' ? { ...current, step: 'closing', error: null } : current));
      try {
        const session = await client.sessions.closeSession(sessionId, 'COMPLETED');
        sessionStorage.removeItem(CURRENT_SESSION_KEY);
        const ended = { session, submission: submission.current };
        setScreen((current) => (current.kind === 'ending' ? { ...current, step: 'syncing', ended } : current));
      } catch (error) {
        setScreen((current) => (current.kind === 'ending' ? { ...current, error: describeError(error) } : current));
      }
    },
    [client],
  );

  const end = async (workspace: WorkspaceSession, solutionFileId: string | null) => {
    const { session, recorder } = workspace;
    setScreen({ kind: 'ending', sessionId: session.id, recorder, step: 'saving', error: null, ended: null });
    const skipped = new Promise<void>((resolve) => (skipSaving.current = resolve));
    submission.current = await saveAndSubmit(client, workspace, {
      solutionFileId,
      skipSaving: skipped,
      onStep: (step) => setScreen((current) => (current.kind === 'ending' ? { ...current, step } : current)),
    });
    await close(session.id);
  };

  // A reload mid-interview: the session this tab was recording carries on where it was.
  const reopened = useRef(false);
  useEffect(() => {
    if (reopened.current) return;
    reopened.current = true;
    const sessionId = sessionStorage.getItem(CURRENT_SESSION_KEY);
    if (!sessionId) return;
    void client.sessions.getSession(sessionId).then(
      (session) => {
        if (session.status === 'ACTIVE') void open('Resuming…', () => claimSession(client, sessionId), true);
        else sessionStorage.removeItem(CURRENT_SESSION_KEY);
      },
      () => sessionStorage.removeItem(CURRENT_SESSION_KEY),
    );
    // Once, on load (the ref also keeps StrictMode's second mount from opening it twice).
  }, []);

  // Closed from elsewhere (another window, a proctor): the workspace can no longer record.
  const current = screen.kind === 'workspace' ? screen.workspace : null;
  useEffect(() => {
    if (!current) return;
    return client.on('sessionClosed', ({ sessionId }) => {
      if (sessionId !== current.session.id) return;
      current.dispose();
      void client.sessions.getSession(sessionId).then(
        (session) => setScreen({ kind: 'done', ended: { session, submission: null } }),
        () => setScreen({ kind: 'start', error: 'The session was closed.' }),
      );
    });
  }, [client, current]);

  const finish = useCallback(() => setScreen((now) => (now.kind === 'ending' && now.ended ? { kind: 'done', ended: now.ended } : now)), []);

  switch (screen.kind) {
    case 'start':
    case 'opening':
      return (
        <>
          <StartScreen
            client={client}
            busy={screen.kind === 'opening'}
            error={screen.kind === 'start' ? screen.error : null}
            onStart={(candidateId) => void open('Starting…', () => client.sessions.createSession(candidateId), false)}
            onResume={(session) => void open('Resuming…', () => claimSession(client, session.id), true)}
          />
          {screen.kind === 'opening' && (
            <p className="opening muted" role="status" data-testid="opening">
              {screen.message}
            </p>
          )}
        </>
      );
    case 'workspace':
      return <Workspace client={client} workspace={screen.workspace} onEnd={(fileId) => void end(screen.workspace, fileId)} />;
    case 'ending':
      return (
        <EndingScreen
          client={client}
          sessionId={screen.sessionId}
          step={screen.step}
          recorder={screen.recorder}
          error={screen.error}
          onSkipSaving={() => skipSaving.current()}
          onRetry={() => void close(screen.sessionId)}
          onFinish={finish}
        />
      );
    case 'done':
      return <DoneScreen client={client} ended={screen.ended} onStartAgain={() => setScreen({ kind: 'start', error: null })} />;
  }
}
