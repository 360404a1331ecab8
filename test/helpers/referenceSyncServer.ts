import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { manifestKey, sessionPrefix, type RecordingManifest } from '../../shared/storage/recordingObjects';
import {
  SYNC_SERVER_ERROR_STATUS,
  SYNC_SERVER_METHOD,
  SYNC_SERVER_ROUTES,
  isKeyOfSession,
  parseSyncServerPath,
  type HeldObject,
  type ManifestResponse,
  type PresignedUpload,
  type SyncServerErrorCode,
  type SyncServerErrorResponse,
  type SyncServerRoute,
  type UploadObject,
  type UploadUrlsResponse,
} from '../../shared/sync/syncServerContract';

/** The bucket the server signs for, with the server's own credentials (a `LocalS3` fits). */
export interface ReferenceSyncServerStorage {
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export interface ReferenceSyncServerOptions {
  storage: ReferenceSyncServerStorage;
  /** How long an issued URL lives. Default 900 s. */
  urlLifetimeSeconds?: number;
  /**
   * Where the upload URLs it issues point, when not at `storage.endpoint` (a fault proxy in
   * front of it); the server's own reads go to storage directly.
   */
  uploadEndpoint?: string;
}

/** One request as the server answered it. */
export interface ReferenceSyncServerLogEntry {
  route: SyncServerRoute | null;
  sessionId: string | null;
  status: number;
  /** The error code, for a refused request. */
  code?: string;
  /** What a manifest check answered (before the client compared it with the manifest). */
  answer?: ManifestResponse;
}

/** Runs when a manifest check arrives, authorized and parsed, before storage is read. */
export type ReconcileHook = (manifest: RecordingManifest) => void | Promise<void>;

/**
 * The InterviewLM server's side of shared/sync/syncServerContract.ts, for tests: node:http on
 * 127.0.0.1. It checks the bearer token against the interviews admitted, signs PUT URLs
 * with its own credentials for keys inside the session's folder only, and answers the
 * manifest check from what storage holds under the session's prefix: List, then a GET of each
 * object the manifest names, whose bytes it hashes. The sha256 recorded with an object at
 * upload is only the value the client declared (real S3 checks the bytes against it, s3rver
 * does not), and storage can change afterwards; so what the server vouches for is what the
 * stored bytes hash to now.
 */
export interface ReferenceSyncServer {
  /** The API URL to configure the app with (INTERVIEWLM_API_URL). */
  readonly url: string;
  /** Every request, in arrival order. */
  readonly log: readonly ReferenceSyncServerLogEntry[];
  /** Lets `token` upload and reconcile `sessionId`, and nothing else. */
  admit(sessionId: string, token: string): void;
  /**
   * `hook` runs on every manifest check from now on (null: none), before storage is read: a
   * test changes storage there, between a client's uploads and the check.
   */
  beforeReconcile(hook: ReconcileHook | null): void;
  close(): Promise<void>;
}

/** The largest request body the server reads (a manifest of a long session is well under it). */
const MAX_BODY_BYTES = 8 * 1024 * 1024;

class Refusal extends Error {
  constructor(
    readonly code: SyncServerErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export async function startReferenceSyncServer(options: ReferenceSyncServerOptions): Promise<ReferenceSyncServer> {
  const { storage } = options;
  const lifetimeSeconds = options.urlLifetimeSeconds ?? 900;
  const clientFor = (endpoint: string) =>
    new S3Client({
      region: storage.region,
      endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: storage.accessKeyId, secretAccessKey: storage.secretAccessKey },
      // The SDK's default CRC32 would be signed into URLs too; the sha256 below is the checksum that matters.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  const s3 = clientFor(storage.endpoint);
  const signer = options.uploadEndpoint ? clientFor(options.uploadEndpoint) : s3;
  /** token -> the session it was issued for. */
  const interviews = new Map<string, string>();
  const log: ReferenceSyncServerLogEntry[] = [];
  let reconcileHook: ReconcileHook | null = null;

  const authorize = (req: IncomingMessage, sessionId: string) => {
    const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (token === undefined || !interviews.has(token)) throw new Refusal('unauthorized', 'A valid interview token is required.');
    if (![...interviews.values()].includes(sessionId)) throw new Refusal('session_not_found', `No interview has session ${sessionId}.`);
    if (interviews.get(token) !== sessionId) throw new Refusal('forbidden', `This token is not for session ${sessionId}.`);
  };

  const readJson = async (req: IncomingMessage): Promise<unknown> => {
    const parts: Buffer[] = [];
    let size = 0;
    for await (const part of req as AsyncIterable<Buffer>) {
      size += part.length;
      if (size > MAX_BODY_BYTES) throw new Refusal('payload_too_large', `The body exceeds ${MAX_BODY_BYTES} bytes.`);
      parts.push(part);
    }
    try {
      return JSON.parse(Buffer.concat(parts).toString('utf8'));
    } catch {
      throw new Refusal('bad_request', 'The body is not JSON.');
    }
  };

  const parse = <T>(route: SyncServerRoute, body: unknown): T => {
    const parsed = SYNC_SERVER_ROUTES[route].request.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new Refusal('bad_request', `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    }
    return parsed.data as T;
  };

  const signUpload = async (object: UploadObject): Promise<PresignedUpload> => {
    if (object.metadata.sha256 !== undefined && object.metadata.sha256 !== object.sha256) {
      throw new Refusal('bad_request', `${object.key}: metadata sha256 differs from the declared sha256.`);
    }
    // The declared sha256 is recorded with the object, and bound as S3's own checksum: real S3
    // refuses bytes that do not match it (s3rver ignores it; the manifest check covers that).
    const metadata = { ...object.metadata, sha256: object.sha256 };
    const checksum = Buffer.from(object.sha256, 'hex').toString('base64');
    const headers: Record<string, string> = { 'content-type': object.contentType, 'x-amz-checksum-sha256': checksum };
    for (const [name, value] of Object.entries(metadata)) headers[`x-amz-meta-${name}`] = value;
    const signed = new Set(Object.keys(headers));
    const signingDate = new Date();
    const url = await getSignedUrl(
      signer,
      new PutObjectCommand({ Bucket: storage.bucket, Key: object.key, ContentType: object.contentType, Metadata: metadata, ChecksumSHA256: checksum }),
      // Signed as headers, not hoisted into the query: the client must send exactly these.
      { expiresIn: lifetimeSeconds, signingDate, signableHeaders: signed, unhoistableHeaders: signed },
    );
    return { key: object.key, url, method: 'PUT', headers, expiresAt: new Date(signingDate.getTime() + lifetimeSeconds * 1000).toISOString() };
  };

  const uploadUrls = async (sessionId: string, body: unknown): Promise<UploadUrlsResponse> => {
    const { objects } = parse<{ objects: UploadObject[] }>('uploadUrls', body);
    const outside = objects.find((object) => !isKeyOfSession(object.key, sessionId));
    if (outside) throw new Refusal('key_outside_session', `${outside.key} is outside session ${sessionId}'s folder; nothing was signed.`);
    return { uploads: await Promise.all(objects.map(signUpload)) };
  };

  const listPrefix = async (prefix: string): Promise<Map<string, number>> => {
    const listed = new Map<string, number>();
    let token: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: storage.bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }));
      for (const entry of page.Contents ?? []) if (entry.Key !== undefined) listed.set(entry.Key, entry.Size ?? 0);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return listed;
  };

  /** The sha256 and size of the bytes stored at `key`, and the sha256 recorded with them at upload; null when there is no such object. */
  const hashStored = async (key: string): Promise<{ sha256: string; size: number; recorded: string | undefined } | null> => {
    let object;
    try {
      object = await s3.send(new GetObjectCommand({ Bucket: storage.bucket, Key: key }));
    } catch (error) {
      if ((error as { name?: unknown }).name === 'NoSuchKey') return null;
      throw error;
    }
    const hash = createHash('sha256');
    let size = 0;
    for await (const part of object.Body as AsyncIterable<Uint8Array>) {
      hash.update(part);
      size += part.byteLength;
    }
    return { sha256: hash.digest('hex'), size, recorded: object.Metadata?.sha256 };
  };

  const reconcile = async (sessionId: string, body: unknown): Promise<ManifestResponse> => {
    const manifest = parse<RecordingManifest>('manifest', body);
    if (manifest.sessionId !== sessionId) throw new Refusal('bad_request', `The manifest is for session ${manifest.sessionId}, not ${sessionId}.`);
    const prefix = sessionPrefix(sessionId, manifest.startedAt);
    const outside = manifest.objects.find((object) => !object.key.startsWith(prefix) || !isKeyOfSession(object.key, sessionId));
    if (outside) throw new Refusal('key_outside_session', `${outside.key} is outside ${prefix}.`);
    await reconcileHook?.(manifest);
    // Only the session's own folder is listed, never the bucket.
    const listed = await listPrefix(prefix);
    const held: HeldObject[] = [];
    const missing: string[] = [];
    for (const object of manifest.objects) {
      if (!listed.has(object.key)) {
        missing.push(object.key);
        continue;
      }
      const stored = await hashStored(object.key);
      // Gone since the listing, or stored with no sha256 recorded (the contract's "cannot vouch for"): as good as missing.
      if (stored === null || stored.recorded === undefined || !/^[0-9a-f]{64}$/.test(stored.recorded)) missing.push(object.key);
      // As held: the sha256 of the bytes, not the one recorded. Bytes altered since the upload
      // are "held, with another sha256", which the client compares with the manifest's.
      else held.push({ key: object.key, sha256: stored.sha256, size: stored.size });
    }
    // What no manifest names was left by an interrupted upload; the client cannot delete, so the server does.
    const named = new Set([...manifest.objects.map((object) => object.key), manifestKey(prefix)]);
    for (const key of listed.keys()) if (!named.has(key)) await s3.send(new DeleteObjectCommand({ Bucket: storage.bucket, Key: key }));
    return { held, missing };
  };

  const respond = (res: ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const target = parseSyncServerPath(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    const entry: ReferenceSyncServerLogEntry = { route: target?.route ?? null, sessionId: target?.sessionId ?? null, status: 200 };
    log.push(entry);
    try {
      if (!target || req.method !== SYNC_SERVER_METHOD) throw new Refusal('not_found', `No route ${req.method} ${req.url}.`);
      authorize(req, target.sessionId);
      const body = await readJson(req);
      if (target.route === 'uploadUrls') {
        respond(res, 200, await uploadUrls(target.sessionId, body));
      } else {
        entry.answer = await reconcile(target.sessionId, body);
        respond(res, 200, entry.answer);
      }
    } catch (error) {
      const refusal = error instanceof Refusal ? error : new Refusal('internal', error instanceof Error ? error.message : String(error));
      entry.status = SYNC_SERVER_ERROR_STATUS[refusal.code];
      entry.code = refusal.code;
      // Drain what is left of the body so the client sees the answer, not a reset.
      req.resume();
      const answer: SyncServerErrorResponse = { error: { code: refusal.code, message: refusal.message } };
      respond(res, entry.status, answer);
    }
  };

  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    log,
    admit(sessionId, token) {
      interviews.set(token, sessionId);
    },
    beforeReconcile(hook) {
      reconcileHook = hook;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
        s3.destroy();
        signer.destroy();
      }),
  };
}
