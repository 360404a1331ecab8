import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
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

/**
 * Where recordings go beyond this machine. With nothing set the app is "local only". A bucket
 * with keys lets the app sign its own S3 requests; an API URL and token let it ask the
 * InterviewLM server for presigned URLs instead, so a candidate's laptop holds no AWS secret.
 */
export interface StorageSettings {
  bucket?: string;
  region: string;
  /** An S3-compatible server (MinIO, R2, on-site); unset for AWS. */
  endpoint?: string;
  forcePathStyle: boolean;
  accessKeyId?: string;
  secretAccessKey?: string;
  apiUrl?: string;
  apiToken?: string;
}

/**
 * Where candidate code runs. Local sandboxes are the default; with Modal tokens it runs in
 * Modal (falling back to local when Modal is unreachable). Modal tokens are account-wide:
 * they belong only on machines the company controls.
 */
export interface ExecutionSettings {
  backend: 'local' | 'modal';
  modal?: { tokenId: string; tokenSecret: string; environment?: string };
  /** The harness scripts (resources/execution); packaged apps pass process.resourcesPath's copy. */
  harnessDir: string;
  /** The Node binary for JavaScript and TypeScript runs; the shell passes Electron's own (run as Node). */
  nodePath?: string;
}

/** The repo's (or the unpacked app's) resources/execution folder. */
export const DEFAULT_HARNESS_DIR = fileURLToPath(new URL('../../resources/execution', import.meta.url));

/** The bundled question bank: resources/questions. */
export const DEFAULT_QUESTIONS_DIR = fileURLToPath(new URL('../../resources/questions', import.meta.url));

/**
 * The default model. The seed used claude-sonnet-4-5-20250929, which reaches end of life on
 * 2026-11-30 (the SDK warns on every request with it); its successor in the same tier.
 */
export const DEFAULT_CLAUDE_MODEL = 'claude-sonnet-4-6';

/**
 * The Claude assistant and question generation. The key stays in the main process; without
 * one the assistant says it is unavailable and questions come from the bundled bank.
 */
export interface AiSettings {
  apiKey: string | null;
  /** An Anthropic-compatible gateway or local model server (ANTHROPIC_BASE_URL). */
  baseURL?: string;
  model: string;
}

/** Everything the composition root needs, in one object. Tests build their own. */
export interface AppConfig {
  dataDir: string;
  databasePath: string;
  durability: Durability;
  /** better-sqlite3 addon built for Electron's ABI; unset under plain Node. */
  sqliteNativeBinding?: string;
  recorder: RecorderSettings;
  storage: StorageSettings;
  execution: ExecutionSettings;
  ai: AiSettings;
  /** The bundled question bank's folder. */
  questionsDir: string;
}

export const DEFAULT_RECORDER_SETTINGS: RecorderSettings = {
  maxEventBytes: 1024 * 1024,
  checkpointEverySnapshots: 16,
  checkpointEveryPatchBytes: 64 * 1024,
  maxBatchEvents: 5000,
};

/** Nothing configured: recordings stay on this machine. */
export const DEFAULT_STORAGE_SETTINGS: StorageSettings = {
  region: 'us-east-1',
  forcePathStyle: false,
};

export const DATABASE_FILE_NAME = 'interviewlm.db';

/** The per-user folder used when neither INTERVIEWLM_DATA_DIR nor Electron's userData is given. */
export function defaultDataDir(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env, home = homedir()): string {
  if (platform === 'win32') return join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), 'InterviewLM');
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'InterviewLM');
  return join(env.XDG_DATA_HOME && isAbsolute(env.XDG_DATA_HOME) ? env.XDG_DATA_HOME : join(home, '.local', 'share'), 'InterviewLM');
}

const blankIsUnset = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);

const optionalText = z.preprocess(blankIsUnset, z.string().trim().optional());
const optionalHttpUrl = z.preprocess(blankIsUnset, z.url({ protocol: /^https?$/, message: 'must be an http:// or https:// URL' }).optional());

/** The environment variables the app reads, each validated. */
const EnvSchema = z
  .object({
    INTERVIEWLM_DATA_DIR: z.preprocess(blankIsUnset, z.string().optional()),
    INTERVIEWLM_DURABILITY: z.preprocess(blankIsUnset, z.enum(['normal', 'full']).default('normal')),
    INTERVIEWLM_SQLITE_BINDING: z.preprocess(
      blankIsUnset,
      z.string().refine(isAbsolute, 'must be an absolute path to better_sqlite3.node').optional(),
    ),
    AWS_S3_BUCKET: optionalText,
    AWS_REGION: z.preprocess(blankIsUnset, z.string().trim().default(DEFAULT_STORAGE_SETTINGS.region)),
    AWS_S3_ENDPOINT: optionalHttpUrl,
    AWS_S3_FORCE_PATH_STYLE: z.preprocess(
      (value) => (typeof value === 'string' ? (blankIsUnset(value.trim().toLowerCase()) as unknown) : value),
      z.enum(['true', 'false', '1', '0'], { message: 'must be true, false, 1 or 0' }).optional(),
    ),
    AWS_ACCESS_KEY_ID: optionalText,
    AWS_SECRET_ACCESS_KEY: optionalText,
    INTERVIEWLM_API_URL: optionalHttpUrl,
    INTERVIEWLM_API_TOKEN: optionalText,
    INTERVIEWLM_EXECUTION: z.preprocess(blankIsUnset, z.enum(['local', 'modal'], { message: 'must be local or modal' }).optional()),
    INTERVIEWLM_RESOURCES_DIR: z.preprocess(blankIsUnset, z.string().refine(isAbsolute, 'must be an absolute path').optional()),
    MODAL_TOKEN_ID: optionalText,
    MODAL_TOKEN_SECRET: optionalText,
    MODAL_ENVIRONMENT: optionalText,
    ANTHROPIC_API_KEY: optionalText,
    ANTHROPIC_BASE_URL: optionalHttpUrl,
    INTERVIEWLM_CLAUDE_MODEL: z.preprocess(blankIsUnset, z.string().trim().regex(/^[\w.:-]{1,100}$/, 'must be a model id such as claude-sonnet-4-5-20250929').default(DEFAULT_CLAUDE_MODEL)),
  })
  .superRefine((vars, context) => {
    if ((vars.MODAL_TOKEN_ID === undefined) !== (vars.MODAL_TOKEN_SECRET === undefined)) {
      const missing = vars.MODAL_TOKEN_ID === undefined ? 'MODAL_TOKEN_ID' : 'MODAL_TOKEN_SECRET';
      context.addIssue({ code: 'custom', path: [missing], message: 'MODAL_TOKEN_ID and MODAL_TOKEN_SECRET must be set together, or neither' });
    }
    if (vars.INTERVIEWLM_EXECUTION === 'modal' && vars.MODAL_TOKEN_ID === undefined) {
      context.addIssue({ code: 'custom', path: ['INTERVIEWLM_EXECUTION'], message: 'modal needs MODAL_TOKEN_ID and MODAL_TOKEN_SECRET' });
    }
    // Half a key pair is a typo, not a choice: say so at start instead of failing every upload.
    if ((vars.AWS_ACCESS_KEY_ID === undefined) !== (vars.AWS_SECRET_ACCESS_KEY === undefined)) {
      const missing = vars.AWS_ACCESS_KEY_ID === undefined ? 'AWS_ACCESS_KEY_ID' : 'AWS_SECRET_ACCESS_KEY';
      context.addIssue({ code: 'custom', path: [missing], message: 'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together, or neither' });
    }
    // Half the server pair would quietly turn server sync off. Saved settings never hold either
    // half (resolveStorage takes both from here), so the environment is the only place to complete it.
    if ((vars.INTERVIEWLM_API_URL === undefined) !== (vars.INTERVIEWLM_API_TOKEN === undefined)) {
      const missing = vars.INTERVIEWLM_API_URL === undefined ? 'INTERVIEWLM_API_URL' : 'INTERVIEWLM_API_TOKEN';
      context.addIssue({ code: 'custom', path: [missing], message: SYNC_SERVER_PAIR_RULE });
    }
  });

function executionFromEnv(vars: z.output<typeof EnvSchema>): ExecutionSettings {
  const harnessDir = vars.INTERVIEWLM_RESOURCES_DIR ? join(vars.INTERVIEWLM_RESOURCES_DIR, 'execution') : DEFAULT_HARNESS_DIR;
  const modal =
    vars.MODAL_TOKEN_ID && vars.MODAL_TOKEN_SECRET
      ? { tokenId: vars.MODAL_TOKEN_ID, tokenSecret: vars.MODAL_TOKEN_SECRET, ...(vars.MODAL_ENVIRONMENT ? { environment: vars.MODAL_ENVIRONMENT } : {}) }
      : undefined;
  // Tokens present means Modal, unless local is asked for explicitly.
  const backend = vars.INTERVIEWLM_EXECUTION ?? (modal ? 'modal' : 'local');
  return { backend, harnessDir, ...(modal ? { modal } : {}) };
}

function storageFromEnv(vars: z.output<typeof EnvSchema>): StorageSettings {
  const optional = <K extends keyof StorageSettings>(name: K, value: StorageSettings[K] | undefined) => (value === undefined ? {} : { [name]: value });
  return {
    region: vars.AWS_REGION,
    forcePathStyle: vars.AWS_S3_FORCE_PATH_STYLE === 'true' || vars.AWS_S3_FORCE_PATH_STYLE === '1',
    ...optional('bucket', vars.AWS_S3_BUCKET),
    ...optional('endpoint', vars.AWS_S3_ENDPOINT),
    ...optional('accessKeyId', vars.AWS_ACCESS_KEY_ID),
    ...optional('secretAccessKey', vars.AWS_SECRET_ACCESS_KEY),
    ...optional('apiUrl', vars.INTERVIEWLM_API_URL),
    ...optional('apiToken', vars.INTERVIEWLM_API_TOKEN),
  };
}

/** Why half of the InterviewLM server's URL-and-token pair is refused, in the environment or in the merged settings. */
export const SYNC_SERVER_PAIR_RULE = 'INTERVIEWLM_API_URL and INTERVIEWLM_API_TOKEN must be set together, or neither';

/** CONFIG_INVALID listing each problem as "VARIABLE: why". */
export function configInvalid(problems: string[]): AppError {
  return new AppError('CONFIG_INVALID', `Invalid configuration: ${problems.join('; ')}`, { problems });
}

/**
 * Reads and validates the configuration from the environment. A bad value fails at start
 * with an error naming the variable. `defaults.dataDir` is Electron's userData in the shell.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, defaults: { dataDir?: string } = {}): AppConfig {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    throw configInvalid(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  }
  const vars = parsed.data;
  const dataDir = resolve(vars.INTERVIEWLM_DATA_DIR ?? defaults.dataDir ?? defaultDataDir());
  return configForDataDir(dataDir, {
    durability: vars.INTERVIEWLM_DURABILITY,
    ...(vars.INTERVIEWLM_SQLITE_BINDING ? { sqliteNativeBinding: vars.INTERVIEWLM_SQLITE_BINDING } : {}),
    storage: storageFromEnv(vars),
    execution: executionFromEnv(vars),
    ai: { apiKey: vars.ANTHROPIC_API_KEY ?? null, model: vars.INTERVIEWLM_CLAUDE_MODEL, ...(vars.ANTHROPIC_BASE_URL ? { baseURL: vars.ANTHROPIC_BASE_URL } : {}) },
    questionsDir: vars.INTERVIEWLM_RESOURCES_DIR ? join(vars.INTERVIEWLM_RESOURCES_DIR, 'questions') : DEFAULT_QUESTIONS_DIR,
  });
}

/** A config for a given data folder with every default: what tests and scripts start from. */
export function configForDataDir(dataDir: string, overrides: Partial<Omit<AppConfig, 'dataDir' | 'databasePath'>> = {}): AppConfig {
  return {
    dataDir,
    databasePath: join(dataDir, DATABASE_FILE_NAME),
    durability: 'normal',
    execution: { backend: 'local', harnessDir: DEFAULT_HARNESS_DIR },
    ai: { apiKey: null, model: DEFAULT_CLAUDE_MODEL },
    questionsDir: DEFAULT_QUESTIONS_DIR,
    ...overrides,
    recorder: { ...DEFAULT_RECORDER_SETTINGS, ...overrides.recorder },
    storage: { ...DEFAULT_STORAGE_SETTINGS, ...overrides.storage },
  };
}
