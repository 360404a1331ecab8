import type { ExecutionResult } from '../../../shared/execution/testCases';
import type { Session } from '../../../shared/recording/session';
import { describeError } from '../describeError';
import type { InterviewLmClient } from '../interviewLmClient';
import { isQuestionLanguage } from './languages';
import type { WorkspaceSession } from './workspaceSession';

/** The steps of End interview, in order; the final sync is watched on the ending screen. */
export type EndStep = 'saving' | 'submitting' | 'closing';

/** The final run of every case, or why it could not run (the interview ends either way). */
export type Submission = { result: ExecutionResult; score: number | null } | { error: string } | null;

/** What End interview produced. */
export interface EndedInterview {
  session: Session;
  submission: Submission;
}

/**
 * End interview's work before the session closes: every recorded event acknowledged (or
 * `skipSaving` pressed), the workspace disposed, the code submitted for its score. Never
 * rejects: a submission that fails is reported in its result. Closing is the caller's next
 * step, retried on its own if it fails.
 */
export async function saveAndSubmit(
  client: InterviewLmClient,
  workspace: WorkspaceSession,
  options: { solutionFileId: string | null; onStep(step: EndStep): void; skipSaving: Promise<void> },
): Promise<Submission> {
  const { session, question, files, recorder } = workspace;
  options.onStep('saving');
  await Promise.race([recorder.flush(), options.skipSaving]);
  // The file submitted: the open one if the tests can run it, else the first they can.
  const runnable = files.list().filter((file) => isQuestionLanguage(file.language));
  const solution = runnable.find((file) => file.fileId === options.solutionFileId) ?? runnable[0];
  const code = solution ? files.content(solution.fileId) : null;
  workspace.dispose();
  if (!solution || code === null || !isQuestionLanguage(solution.language)) return null;

  options.onStep('submitting');
  try {
    const submitted = await client.questions.submit(session.id, { questionId: question.id, code, language: solution.language });
    return { result: submitted.result, score: submitted.question.score };
  } catch (error) {
    return { error: describeError(error) };
  }
}
