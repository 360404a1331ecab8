import { isAppError } from '../../shared/errors';

/** A one-line message for an error shown to the candidate or proctor. */
export function describeError(error: unknown): string {
  if (isAppError(error)) return `${error.message} (${error.code})`;
  return error instanceof Error ? error.message : String(error);
}
