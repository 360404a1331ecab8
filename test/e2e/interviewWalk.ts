import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { QuestionBank } from '../../electron/services/questions/questionBank';

/** What the walk needs besides the page: the S3 server to stop and start, and where screenshots go. */
export interface InterviewWalkDeps {
  page: Page;
  /** Saves a screenshot of the current screen under `name`. */
  shot(name: string): Promise<unknown>;
  s3: { stop(): Promise<void>; start(): Promise<void> };
  candidateId: string;
  /** The text the loopback Anthropic server answers with. */
  assistantAnswer: string;
}

/** What the walk typed, for the caller to find in the recording. */
export const WALK_TYPED = ['checked by hand', 'offline for a while', ' and more'] as const;

const BANK = new QuestionBank(join(import.meta.dirname, '../../resources/questions'));

/**
 * A whole interview as a candidate does it, through the page only, so the browser shell and
 * Electron specs walk the same steps: start; the question shows; paste the bank's reference
 * solution and type a comment in Monaco; run the tests and see them pass; ask the assistant
 * and see the streamed answer; stop S3 and see the offline indicator and the pending count
 * grow; start S3 and see it sync; end the interview and reach the done screen.
 */
export async function walkInterview({ page, shot, s3, candidateId, assistantAnswer }: InterviewWalkDeps): Promise<void> {
  await page.getByTestId('candidate-input').fill(candidateId);
  await shot('1-start');
  await page.getByTestId('start-button').click();

  await expect.poll(() => page.getByTestId('question-title').textContent(), { timeout: 20_000 }).toBeTruthy();
  await page.locator('[data-testid="editor"] .monaco-editor').waitFor({ timeout: 20_000 });
  await shot('2-workspace');
  const title = (await page.getByTestId('question-title').textContent())!.trim();
  const question = BANK.all().find((candidate) => candidate.title === title);
  if (!question) throw new Error(`the question shown, ${JSON.stringify(title)}, is not in the bank`);

  // The solution, in the question's language as the workspace opened it.
  const language = (await page.getByTestId('language-select').inputValue()) as 'javascript' | 'typescript' | 'python';
  await page.locator('[data-testid="editor"] .monaco-editor').click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.press('Delete');
  // Pasted, as a candidate might: typing it would have Monaco auto-indent and auto-close brackets.
  await pasteIntoFocused(page, question.referenceSolution[language]);
  await page.keyboard.press('ControlOrMeta+End');
  // And some keystrokes, one key at a time, as a candidate types.
  const comment = language === 'python' ? '# ' : '// ';
  await page.keyboard.type(`\n${comment}${WALK_TYPED[0]}`, { delay: 30 });

  await page.getByTestId('run-tests').click();
  await expect
    .poll(
      async () => {
        const summary = page.getByTestId('results-summary');
        const [passed, total] = [await summary.getAttribute('data-passed'), await summary.getAttribute('data-total')];
        return total !== null && total !== '0' && passed === total;
      },
      { timeout: 30_000 },
    )
    .toBe(true);
  await shot('3-tests-passed');

  await page.getByTestId('assistant-input').fill('How should I start?');
  await page.getByTestId('assistant-send').click();
  await expect.poll(() => page.getByTestId('assistant-answer').getAttribute('data-state'), { timeout: 15_000 }).toBe('done');
  expect(await page.getByTestId('assistant-answer').textContent()).toContain(assistantAnswer);
  await shot('4-assistant');

  // S3 goes away: the page says offline, with events waiting; recording goes on.
  const syncState = () => page.getByTestId('sync-indicator').getAttribute('data-state');
  await s3.stop();
  await page.locator('[data-testid="editor"] .monaco-editor').click();
  await page.keyboard.press('ControlOrMeta+End');
  await page.keyboard.type(`\n${comment}${WALK_TYPED[1]}`, { delay: 30 });
  await expect.poll(syncState, { timeout: 20_000 }).toBe('offline');
  const pending = async () => Number(/(\d+) pending/.exec((await page.getByTestId('sync-indicator').textContent()) ?? '')?.[1] ?? Number.NaN);
  const before = await pending();
  expect(before).toBeGreaterThan(0);
  await page.keyboard.type(WALK_TYPED[2], { delay: 30 });
  await expect.poll(pending, { timeout: 10_000 }).toBeGreaterThan(before);
  await shot('5-offline');
  await s3.start();
  await expect.poll(syncState, { timeout: 20_000 }).not.toBe('offline');

  await page.getByTestId('end-interview').click();
  await page.getByTestId('confirm-end').click();
  await page.getByTestId('done-screen').waitFor({ timeout: 60_000 });
  await shot('6-done');
}

/** Pastes `text` into the focused element through a real paste event, as the clipboard would. */
export async function pasteIntoFocused(page: Page, text: string): Promise<void> {
  await page.evaluate((pasted) => {
    // Runs in the page; this file is compiled without DOM types.
    const window = globalThis as unknown as {
      DataTransfer: new () => { setData(type: string, value: string): void };
      ClipboardEvent: new (type: string, init: Record<string, unknown>) => unknown;
      document: { activeElement: { dispatchEvent(event: unknown): boolean } };
    };
    const clipboardData = new window.DataTransfer();
    clipboardData.setData('text/plain', pasted);
    window.document.activeElement.dispatchEvent(new window.ClipboardEvent('paste', { clipboardData, bubbles: true, cancelable: true }));
  }, text);
}
