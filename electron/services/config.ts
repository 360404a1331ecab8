import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { AppError } from '../../shared/errors';
import type { Durability } from './db/recordingDatabase';

/** Limits and tuning of the recorder. */
export interface RecorderSettings {
  /** Largest `data` of one event, as UTF-8 JSON. */
  maxEventBytes: number;
  /** A full checkpoint after this many patch snapshots of one file... */
  checkpointEverySnapshots: number;
  /** ...or once this many patch bytes have accumulated since the last checkpoint. */
  checkpointEveryPatchBytes: number;
  /** Most events committed in one transaction; the rest go in the next. */
  maxBatchEvents: number;
}

/** Everything the composition root needs, in one object. Tests build their own. */
export interface AppConfig {
  dataDir: string;
  databasePath: string;
  durability: Durability;
  /** better-sqlite3 addon built for Electron's ABI; unset under plain Node. */
  sqliteNativeBinding?: string;
  recorder: RecorderSettings;
}

export const DEFAULT_RECORDER_SETTINGS: RecorderSettings = {
  maxEventBytes: 1024 * 1024,
  checkpointEverySnapshots: 16,
  checkpointEveryPatchBytes: 64 * 1024,
  maxBatchEvents: 5000,
};

export const DATABASE_FILE_NAME = 'interviewlm.db';

/** The per-user folder used when neither INTERVIEWLM_DATA_DIR nor Electron's userData is given. */
export function defaultDataDir(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env, home = homedir()): string {
  if (platform === 'win32') return join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), 'InterviewLM');
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'InterviewLM');
  return join(env.XDG_DATA_HOME && isAbsolute(env.XDG_DATA_HOME) ? env.XDG_DATA_HOME : join(home, '.local', 'share'), 'InterviewLM');
}

const blankIsUnset = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);

/** The environment variables the app reads, each validated. */
const EnvSchema = z.object({
  INTERVIEWLM_DATA_DIR: z.preprocess(blankIsUnset, z.string().optional()),
  INTERVIEWLM_DURABILITY: z.preprocess(blankIsUnset, z.enum(['normal', 'full']).default('normal')),
  INTERVIEWLM_SQLITE_BINDING: z.preprocess(
    blankIsUnset,
    z.string().refine(isAbsolute, 'must be an absolute path to better_sqlite3.node').optional(),
  ),
});

/**
 * Reads and validates the configuration from the environment. A bad value fails at start
 * with an error naming the variable. `defaults.dataDir` is Electron's userData in the shell.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, defaults: { dataDir?: string } = {}): AppConfig {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new AppError('CONFIG_INVALID', `Invalid configuration: ${problems.join('; ')}`, { problems });
  }
  const vars = parsed.data;
  const dataDir = resolve(vars.INTERVIEWLM_DATA_DIR ?? defaults.dataDir ?? defaultDataDir());
  return configForDataDir(dataDir, {
    durability: vars.INTERVIEWLM_DURABILITY,
    ...(vars.INTERVIEWLM_SQLITE_BINDING ? { sqliteNativeBinding: vars.INTERVIEWLM_SQLITE_BINDING } : {}),
  });
}

/** A config for a given data folder with every default: what tests and scripts start from. */
export function configForDataDir(dataDir: string, overrides: Partial<Omit<AppConfig, 'dataDir' | 'databasePath'>> = {}): AppConfig {
  return {
    dataDir,
    databasePath: join(dataDir, DATABASE_FILE_NAME),
    durability: 'normal',
    ...overrides,
    recorder: { ...DEFAULT_RECORDER_SETTINGS, ...overrides.recorder },
  };
}
