import { QUESTION_LANGUAGES, type QuestionLanguage } from '../../../shared/questions/questionLanguages';

/** What a file can be: one of the question languages, or plain text (notes, scratch). */
export type FileLanguage = QuestionLanguage | 'plaintext';

const EXTENSIONS: Record<QuestionLanguage, string> = { javascript: '.js', typescript: '.ts', python: '.py' };

/** Names for the language picker. */
export const LANGUAGE_LABELS: Record<QuestionLanguage, string> = { javascript: 'JavaScript', typescript: 'TypeScript', python: 'Python' };

export function isQuestionLanguage(language: string): language is QuestionLanguage {
  return (QUESTION_LANGUAGES as readonly string[]).includes(language);
}

/** The language a file name implies by its extension, or null when it implies none. */
export function languageOfFileName(fileName: string): QuestionLanguage | null {
  const lower = fileName.toLowerCase();
  return QUESTION_LANGUAGES.find((language) => lower.endsWith(EXTENSIONS[language])) ?? null;
}

/** `base` with the extension of `language`, replacing a known one. */
export function fileNameFor(base: string, language: QuestionLanguage): string {
  const known = languageOfFileName(base);
  const stem = known ? base.slice(0, -EXTENSIONS[known].length) : base;
  return `${stem}${EXTENSIONS[language]}`;
}

/** Why a file name cannot be used, or null when it can. */
export function fileNameProblem(fileName: string, otherNames: readonly string[]): string | null {
  const name = fileName.trim();
  if (!name) return 'A file needs a name.';
  if (name.length > 200) return 'That name is too long.';
  if (/[\\/:*?"<>|\p{Cc}]/u.test(name) || /\p{Surrogate}/u.test(name)) return 'Use letters, digits, dots, dashes and underscores.';
  if (otherNames.some((other) => other.toLowerCase() === name.toLowerCase())) return `There is already a file named ${name}.`;
  return null;
}
