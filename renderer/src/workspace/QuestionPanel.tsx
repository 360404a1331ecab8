import { useMemo } from 'react';
import type { AssignedPublicQuestion } from '../../../shared/questions/question';
import { entryFor } from '../../../shared/questions/questionLanguages';
import { renderMarkdown } from './markdown';

/** Function arguments as the candidate would write them: `[1, 2], 3`. */
export function formatArguments(input: readonly unknown[]): string {
  return input.map((value) => JSON.stringify(value)).join(', ');
}

/** The question: title, difficulty, the Markdown description and its visible examples. */
export function QuestionPanel({ question }: { question: AssignedPublicQuestion }) {
  // Sanitized in renderMarkdown: the description may come from a model.
  const html = useMemo(() => renderMarkdown(question.description), [question.description]);
  return (
    <section className="question-panel" aria-label="Question">
      <h2 data-testid="question-title">{question.title}</h2>
      <p className="question-meta">
        <span className={`badge difficulty-${question.difficulty.toLowerCase()}`}>{question.difficulty}</span>
        {question.topics.map((topic) => (
          <span key={topic} className="badge topic">
            {topic}
          </span>
        ))}
      </p>
      <div className="markdown" data-testid="question-description" dangerouslySetInnerHTML={{ __html: html }} />
      <h3>Examples</h3>
      <ol className="examples" data-testid="question-examples">
        {question.examples.map((example) => (
          <li key={example.name}>
            <div className="example-name">{example.name}</div>
            <code>
              {entryFor(question, question.language)}({formatArguments(example.input)}) → {JSON.stringify(example.expected)}
            </code>
          </li>
        ))}
      </ol>
      {question.hiddenCaseCount > 0 && <p className="muted">Plus {question.hiddenCaseCount} hidden tests, reported as pass or fail only.</p>}
    </section>
  );
}
