import { isAppError } from '../../shared/errors';

/** What the startup error dialog shows. */
export interface StartupErrorReport {
  title: string;
  message: string;
}

const TITLES: Partial<Record<string, string>> = {
  CONFIG_INVALID: 'InterviewLM: invalid configuration',
  DATABASE_LOCKED: 'InterviewLM is already running',
  DATABASE_CORRUPT: 'InterviewLM: the recording database is damaged',
  DATABASE_UNWRITABLE: 'InterviewLM: cannot write the recording database',
  DATABASE_TOO_NEW: 'InterviewLM: the recording database is from a newer version',
};

/**
 * Turns an error thrown while starting (config, database, native addon) into a dialog for
 * people: the AppError's own message, which already says what to do, and never a stack.
 */
export function describeStartupError(error: unknown): StartupErrorReport {
  if (isAppError(error)) {
    return { title: TITLES[error.code] ?? 'InterviewLM could not start', message: error.message };
  }
  const reason = error instanceof Error ? error.message : String(error);
  // better-sqlite3 built for Node rather than Electron: the one setup mistake worth naming.
  if (/NODE_MODULE_VERSION|bindings file|better_sqlite3\.node/.test(reason)) {
    return {
      title: 'InterviewLM could not start',
      message:
        `The SQLite addon could not be loaded (${reason}). It must be built for Electron: ` +
        'run "node electron/scripts/build-electron-native.mjs", or set INTERVIEWLM_SQLITE_BINDING to a better_sqlite3.node built for this Electron.',
    };
  }
  return { title: 'InterviewLM could not start', message: reason };
}
