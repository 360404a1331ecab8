import type { ExecutionResult, FunctionTestCase } from '../../../shared/execution/testCases';
import { formatArguments } from './QuestionPanel';

export interface ResultsPanelProps {
  result: ExecutionResult | null;
  running: boolean;
  error: string | null;
  /** The question's visible cases, for each result's input. */
  examples: readonly FunctionTestCase[];
}

/** A run's outcome: each visible case with input, expected and actual; hidden ones as counts only. */
export function ResultsPanel({ result, running, error, examples }: ResultsPanelProps) {
  if (running) return <Summary text="Running tests…" />;
  if (error) return <Summary text={error} tone="error" />;
  if (!result) return <Summary text="Run the tests with the button or Ctrl/Cmd+Enter." />;

  const visible = result.results.filter((testCase) => !testCase.hidden);
  const hidden = result.results.filter((testCase) => testCase.hidden);
  const hiddenPassed = hidden.filter((testCase) => testCase.passed).length;
  const inputOf = (name: string) => examples.find((example) => example.name === name)?.input;

  return (
    <section className="results-panel" aria-label="Test results">
      <Summary
        text={`${result.passedTests} of ${result.totalTests} tests passed`}
        tone={result.passedTests === result.totalTests && result.totalTests > 0 ? 'ok' : 'error'}
        passed={result.passedTests}
        total={result.totalTests}
      />
      {result.compileError && (
        <pre className="compile-error">
          {result.compileError.line !== null ? `Line ${result.compileError.line}${result.compileError.column !== null ? `:${result.compileError.column}` : ''}: ` : ''}
          {result.compileError.message}
        </pre>
      )}
      {result.terminated && <p className="error">{result.terminated}</p>}
      {result.notice && <p className="muted">{result.notice}</p>}
      <ul className="result-cases">
        {visible.map((testCase) => {
          const input = inputOf(testCase.name);
          return (
            <li key={testCase.name} className={testCase.passed ? 'pass' : 'fail'} data-testid="result-case" data-passed={testCase.passed}>
              <div className="case-head">
                <strong>{testCase.passed ? '✓' : '✗'}</strong> {testCase.name} <span className="muted">{Math.round(testCase.durationMs)} ms</span>
              </div>
              <dl>
                {input && (
                  <>
                    <dt>Input</dt>
                    <dd>
                      <code>{formatArguments(input)}</code>
                    </dd>
                  </>
                )}
                <dt>Expected</dt>
                <dd>
                  <code>{testCase.expected ?? '—'}</code>
                </dd>
                <dt>Actual</dt>
                <dd>
                  <code>{testCase.actual ?? '—'}</code>
                </dd>
                {testCase.error && (
                  <>
                    <dt>Error</dt>
                    <dd>
                      <pre>{testCase.error}</pre>
                    </dd>
                  </>
                )}
                {testCase.stdout && (
                  <>
                    <dt>Output</dt>
                    <dd>
                      <pre>{testCase.stdout}</pre>
                    </dd>
                  </>
                )}
              </dl>
            </li>
          );
        })}
      </ul>
      {hidden.length > 0 && (
        <p className="hidden-summary" data-testid="results-hidden" data-passed={hiddenPassed} data-total={hidden.length}>
          Hidden tests: {hiddenPassed} of {hidden.length} passed
        </p>
      )}
      {result.outputTruncated && <p className="muted">Output beyond the limit was cut.</p>}
    </section>
  );
}

function Summary({ text, tone, passed, total }: { text: string; tone?: 'ok' | 'error'; passed?: number; total?: number }) {
  return (
    <p className={`results-summary ${tone ?? ''}`} data-testid="results-summary" data-passed={passed} data-total={total} role="status">
      {text}
    </p>
  );
}
