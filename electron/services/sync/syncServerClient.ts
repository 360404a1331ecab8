import type { z } from 'zod';
import { AppError } from '../../../shared/errors';
import type { RecordingManifest } from '../../../shared/storage/recordingObjects';
import {
  MAX_URL_LIFETIME_SECONDS,
  SYNC_SERVER_METHOD,
  SYNC_SERVER_ROUTES,
  SyncServerErrorResponseSchema,
  syncServerPath,
  type HeldObject,
  type PresignedUpload,
  type SyncServerRoute,
  type UploadObject,
} from '../../../shared/sync/syncServerContract';
import { describeIssues, parseOrThrow, type ValidationIssue } from '../../../shared/validation';
import { SYNC_SERVER_PAIR_RULE, configInvalid, type StorageSettings } from '../config';

/** How to reach the InterviewLM server. Plain data, so it can cross into the sync worker. */
export interface SyncServerClientOptions {
  /** INTERVIEWLM_API_URL; a base path (`https://host/desktop`) is kept. */
  apiUrl: string;
  /** INTERVIEWLM_API_TOKEN: the per-interview token. */
  token: string;
  /** Per request: a hung connection must not stall the sync pass. Default 30 s. */
  timeoutMs?: number;
}

/** Injected for tests; the defaults are the global fetch and the wall clock. */
export interface SyncServerClientDeps {
  fetch?: typeof fetch;
  now?: () => number;
}

/**
 * The client options for the effective storage settings (environment and saved settings
 * merged), or null with neither an API URL nor a token (then the app signs its own requests
 * with AWS keys, or stays "local only"). Half the pair throws CONFIG_INVALID naming the
 * missing variable: treating it as "no server" would stop server sync without a word.
 */
export function syncServerOptionsFrom(settings: StorageSettings): SyncServerClientOptions | null {
  if (!settings.apiUrl && !settings.apiToken) return null;
  if (!settings.apiUrl || !settings.apiToken) {
    const missing = settings.apiUrl ? 'INTERVIEWLM_API_TOKEN' : 'INTERVIEWLM_API_URL';
    throw configInvalid([`${missing}: ${SYNC_SERVER_PAIR_RULE}`]);
  }
  return { apiUrl: settings.apiUrl, token: settings.apiToken };
}

/** A presigned upload, with how long it stays valid from when the answer arrived. */
export interface IssuedUpload extends PresignedUpload {
  /** `expiresAt` minus the server's Date header: the server's clock on both sides, so a skewed laptop clock does not matter. */
  lifetimeMs: number;
}

/** What the server holds of a manifest, checked against it. */
export interface ManifestReconciliation {
  /** The objects the server holds, as it holds them. */
  held: HeldObject[];
  /** Keys of the manifest's objects the server does not hold intact: absent, or held with another sha256 or size. In manifest order. */
  missing: string[];
}

/** The details of every error the client throws: enough for the sync engine to decide whether to retry. */
export interface SyncServerErrorDetails {
  operation: SyncServerRoute;
  sessionId: string;
  /** True for STORAGE_UNAVAILABLE only: the same request may succeed later. */
  transient: boolean;
  status?: number;
  /** The contract's error code (`unauthorized`, `key_outside_session`...), when the server sent a well-formed error. */
  serverCode?: string;
  /**
   * 'session' when the refusal is about this session only: the token is valid but was issued
   * for another interview's session (403 `forbidden`). Other sessions may still sync.
   */
  scope?: 'session';
  /** Set when a 2xx answer broke the contract; it was not used. */
  malformed?: true;
  issues?: ValidationIssue[];
}

const DEFAULT_TIMEOUT_MS = 30_000;
const WHAT: Record<SyncServerRoute, string> = { uploadUrls: 'a request for upload URLs', manifest: 'the manifest check' };

/**
 * The app's side of the contract in shared/sync/syncServerContract.ts. Requests are validated
 * before they leave; answers are validated before anything uses them, and an answer that
 * breaks the contract is a STORAGE_FAILED error with `details.malformed`, never trusted.
 * Failures map as storage failures do, so the sync engine treats both alike:
 * 401/403 -> STORAGE_AUTH_FAILED; unreachable, timed out, 408/429/5xx -> STORAGE_UNAVAILABLE
 * (transient); anything else -> STORAGE_FAILED.
 */
export class SyncServerClient {
  private readonly base: URL;
  private readonly fetch: typeof fetch;
  private readonly now: () => number;
  private readonly timeoutMs: number;

  constructor(
    private readonly options: SyncServerClientOptions,
    deps: SyncServerClientDeps = {},
  ) {
    // A trailing slash keeps the base path when the route's relative path is resolved against it.
    this.base = new URL(options.apiUrl.endsWith('/') ? options.apiUrl : `${options.apiUrl}/`);
    this.fetch = deps.fetch ?? globalThis.fetch;
    this.now = deps.now ?? Date.now;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** Presigned PUT URLs for `objects` of the session, one per object, in the order asked. */
  async requestUploadUrls(sessionId: string, objects: UploadObject[]): Promise<IssuedUpload[]> {
    const request = parseOrThrow(SYNC_SERVER_ROUTES.uploadUrls.request, { objects }, 'upload-URL request');
    const { value, serverNow } = await this.post('uploadUrls', sessionId, request, SYNC_SERVER_ROUTES.uploadUrls.response);
    const byKey = new Map<string, PresignedUpload>();
    for (const upload of value.uploads) {
      if (byKey.has(upload.key)) throw this.malformed('uploadUrls', sessionId, `it names ${upload.key} twice`);
      byKey.set(upload.key, upload);
    }
    if (byKey.size !== objects.length) throw this.malformed('uploadUrls', sessionId, `it has ${byKey.size} URLs for ${objects.length} objects`);
    return objects.map((object) => {
      const upload = byKey.get(object.key);
      if (!upload) throw this.malformed('uploadUrls', sessionId, `it has no URL for ${object.key}`);
      const lifetimeMs = Date.parse(upload.expiresAt) - serverNow;
      if (lifetimeMs <= 0 || lifetimeMs > MAX_URL_LIFETIME_SECONDS * 1000) {
        throw this.malformed('uploadUrls', sessionId, `the URL for ${object.key} expires at ${upload.expiresAt}, ${Math.round(lifetimeMs / 1000)} s from the server's now`);
      }
      return { ...upload, lifetimeMs };
    });
  }

  /**
   * Sends the manifest; answers what the server holds and which of the manifest's objects
   * it does not hold intact. An answer that names an object the manifest does not, names one
   * twice, or says nothing of one, is malformed.
   */
  async reconcileManifest(manifest: RecordingManifest): Promise<ManifestReconciliation> {
    const request = parseOrThrow(SYNC_SERVER_ROUTES.manifest.request, manifest, 'manifest');
    const sessionId = request.sessionId;
    const { value } = await this.post('manifest', sessionId, request, SYNC_SERVER_ROUTES.manifest.response);
    const expected = new Map(request.objects.map((object) => [object.key, object]));
    const mentioned = new Set<string>();
    for (const key of [...value.held.map((held) => held.key), ...value.missing]) {
      if (!expected.has(key)) throw this.malformed('manifest', sessionId, `it names ${key}, which is not in the manifest`);
      if (mentioned.has(key)) throw this.malformed('manifest', sessionId, `it names ${key} twice`);
      mentioned.add(key);
    }
    const unmentioned = request.objects.find((object) => !mentioned.has(object.key));
    if (unmentioned) throw this.malformed('manifest', sessionId, `it says nothing of ${unmentioned.key}`);
    const intact = new Set(
      value.held.filter((held) => held.sha256 === expected.get(held.key)!.sha256 && held.size === expected.get(held.key)!.compressedSize).map((held) => held.key),
    );
    return { held: value.held, missing: request.objects.filter((object) => !intact.has(object.key)).map((object) => object.key) };
  }

  /** One request: the parsed answer, and the server's clock when it answered. */
  private async post<S extends z.ZodType>(route: SyncServerRoute, sessionId: string, body: unknown, schema: S): Promise<{ value: z.output<S>; serverNow: number }> {
    const url = new URL(syncServerPath(route, sessionId), this.base);
    let response: Response;
    let text: string;
    try {
      response = await this.fetch(url, {
        method: SYNC_SERVER_METHOD,
        headers: { authorization: `Bearer ${this.options.token}`, 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(body),
        // A redirect is never part of the contract; following one could hand the token to another host.
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      // Read inside the try: a connection reset mid-body is as transient as one before it.
      text = await response.text();
    } catch (error) {
      throw this.unreachable(route, sessionId, error);
    }
    if (response.status < 200 || response.status > 299) throw this.refused(route, sessionId, response, text);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw this.malformed(route, sessionId, `it is not JSON (content-type ${JSON.stringify(response.headers.get('content-type'))})`);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issues = describeIssues(parsed.error);
      throw this.malformed(route, sessionId, `${issues[0]!.path}: ${issues[0]!.message}`, issues);
    }
    const date = Date.parse(response.headers.get('date') ?? '');
    return { value: parsed.data, serverNow: Number.isNaN(date) ? this.now() : date };
  }

  private where(route: SyncServerRoute, sessionId: string): string {
    return `${WHAT[route]} for session ${JSON.stringify(sessionId)} to the InterviewLM server at ${this.base.origin}`;
  }

  private unreachable(route: SyncServerRoute, sessionId: string, error: unknown): AppError {
    const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
    const cause = timedOut ? `no answer within ${this.timeoutMs} ms` : causeOf(error);
    const details: SyncServerErrorDetails = { operation: route, sessionId, transient: true };
    return new AppError('STORAGE_UNAVAILABLE', `${capitalize(this.where(route, sessionId))} failed: the server is unreachable (${cause}); it may succeed later.`, details);
  }

  private refused(route: SyncServerRoute, sessionId: string, response: Response, text: string): AppError {
    const status = response.status;
    let serverError: { code: string; message: string } | undefined;
    try {
      serverError = SyncServerErrorResponseSchema.parse(JSON.parse(text)).error;
    } catch {
      // Not the contract's error body (a proxy's page, say): the status alone speaks.
    }
    const details: SyncServerErrorDetails = { operation: route, sessionId, transient: false, status, ...(serverError ? { serverCode: serverError.code } : {}) };
    const because = serverError ? `HTTP ${status} ${serverError.code}: ${serverError.message}` : `HTTP ${status}`;
    const where = capitalize(this.where(route, sessionId));
    if (status === 403 && serverError?.code === 'forbidden') {
      // A session an earlier interview left unsynced on this laptop: today's token is not for it.
      return new AppError(
        'STORAGE_AUTH_FAILED',
        `${where} was refused (${because}): INTERVIEWLM_API_TOKEN was issued for another interview. This session syncs with its own interview's token, or can be exported.`,
        { ...details, scope: 'session' },
      );
    }
    if (status === 401 || status === 403) {
      return new AppError(
        'STORAGE_AUTH_FAILED',
        `${where} was refused (${because}). Check INTERVIEWLM_API_TOKEN: it must be the token issued for this interview.`,
        details,
      );
    }
    if (status === 408 || status === 429 || status >= 500) {
      return new AppError('STORAGE_UNAVAILABLE', `${where} failed, the server is unavailable (${because}); it may succeed later.`, { ...details, transient: true });
    }
    if (status === 404) return new AppError('STORAGE_FAILED', `${where} failed: the server does not know this session (${because}).`, details);
    if (status >= 300 && status <= 399) {
      const location = response.headers.get('location');
      return new AppError(
        'STORAGE_FAILED',
        `${where} was redirected${location ? ` to ${location}` : ''} (HTTP ${status}): check INTERVIEWLM_API_URL, or whether a Wi-Fi login page is in the way.`,
        details,
      );
    }
    return new AppError('STORAGE_FAILED', `${where} failed (${because}).`, details);
  }

  private malformed(route: SyncServerRoute, sessionId: string, problem: string, issues?: ValidationIssue[]): AppError {
    const details: SyncServerErrorDetails = { operation: route, sessionId, transient: false, malformed: true, ...(issues ? { issues } : {}) };
    return new AppError('STORAGE_FAILED', `The answer to ${this.where(route, sessionId)} breaks the sync contract and was not used: ${problem}.`, details);
  }
}

/** The most specific reason in a fetch failure: undici wraps the socket's error in `cause`. */
export function causeOf(error: unknown): string {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return `${code}: ${current.message}`;
    if (!(current.cause instanceof Error)) return current.message;
  }
  return String(error);
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
