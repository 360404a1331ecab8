import type { z } from 'zod';
import { AppError } from './errors';

/** One schema problem, with the path to the offending member. */
export interface ValidationIssue {
  path: string;
  message: string;
}

/** The issues of a failed parse, in a form fit for error details. */
export function describeIssues(error: z.ZodError): ValidationIssue[] {
  return error.issues.map((issue) => ({ path: issue.path.map(String).join('.') || '(root)', message: issue.message }));
}

/** Parses `value` or throws a VALIDATION_FAILED `AppError` naming `what` and the first problem. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = describeIssues(result.error);
  const first = issues[0]!;
  throw new AppError('VALIDATION_FAILED', `Invalid ${what}: ${first.path}: ${first.message}`, { issues });
}
