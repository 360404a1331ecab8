import { z } from 'zod';
import { RecordingManifestSchema } from '../storage/recordingObjects';

/**
 * The HTTP contract between the app and the InterviewLM server, for a machine that holds no
 * AWS secret (a candidate's own laptop). Both routes are `POST {apiUrl}/v1/sessions/{id}/…`
 * with `Authorization: Bearer <per-interview token>` and a JSON body; every request and
 * answer has a schema here, and the client (electron/services/sync/syncServerClient.ts) and
 * the reference server (test/helpers/referenceSyncServer.ts) are both built from this module.
 *
 *   upload-urls  {objects: [{key, sha256, size, contentType, metadata}]}
 *             -> {uploads: [{key, url, method: 'PUT', headers, expiresAt}]}
 *                The server signs with its own AWS credentials. The client PUTs the bytes to
 *                `url` sending exactly `headers` (the signed ones) and nothing of its own.
 *   manifest     the session's RecordingManifest
 *             -> {held: [{key, sha256, size}], missing: [key]}
 *                What the server holds of the manifest's objects. The client uploads what is
 *                missing or differs, and asks again until nothing is missing.
 *
 * Failures are `{error: {code, message}}` with the status `SYNC_SERVER_ERROR_STATUS` gives:
 * 401/403 for a missing, unknown or foreign token (or a key outside the session's folder),
 * 404 for a session the server does not know, 400 for a request that breaks this contract.
 */

/** The version segment of every path; a breaking change gets a new one. */
export const SYNC_SERVER_API_VERSION = 'v1';

/** S3's limit for one PUT: 5 GiB. */
export const MAX_OBJECT_BYTES = 5 * 1024 ** 3;
/** Objects per upload-urls request. */
export const MAX_UPLOADS_PER_REQUEST = 100;
/** SigV4 presigned URLs live at most 7 days. */
export const MAX_URL_LIFETIME_SECONDS = 7 * 24 * 3600;

const Sha256HexSchema = z.string().regex(/^[0-9a-f]{64}$/, 'must be a lower-case hex sha256');

/** An object key; which keys a session may use is `isKeyOfSession`'s rule. */
export const ObjectKeySchema = z.string().min(1).max(1024);

/**
 * User metadata, sent as `x-amz-meta-<name>` headers: lower-case names and printable ASCII
 * values, since a header carries nothing else, and at most 2 KB in all, as S3 allows.
 */
export const ObjectMetadataSchema = z
  .record(z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'metadata names are lower-case letters, digits and dashes'), z.string().regex(/^[\x20-\x7e]*$/, 'metadata values are printable ASCII'))
  .refine((metadata) => Object.entries(metadata).reduce((sum, [name, value]) => sum + name.length + value.length, 0) <= 2048, 'metadata exceeds 2 KB');

/** One object the client wants to upload, described so the server can bind the URL to it. */
export const UploadObjectSchema = z.object({
  key: ObjectKeySchema,
  /** sha256 (hex) of the exact bytes that will be PUT. */
  sha256: Sha256HexSchema,
  size: z.number().int().nonnegative().max(MAX_OBJECT_BYTES),
  contentType: z.string().min(1).max(255),
  metadata: ObjectMetadataSchema,
});
export type UploadObject = z.infer<typeof UploadObjectSchema>;

export const UploadUrlsRequestSchema = z.object({
  objects: z
    .array(UploadObjectSchema)
    .min(1)
    .max(MAX_UPLOADS_PER_REQUEST)
    .refine((objects) => new Set(objects.map((object) => object.key)).size === objects.length, 'keys must be unique'),
});
export type UploadUrlsRequest = z.infer<typeof UploadUrlsRequestSchema>;

/** A header the client will send verbatim: a valid name and value, so fetch cannot choke on it. */
const HeaderNameSchema = z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'not an HTTP header name');
const HeaderValueSchema = z.string().regex(/^[\t\x20-\x7e]*$/, 'not a printable HTTP header value');

/** Where and how to PUT one object. */
export const PresignedUploadSchema = z.object({
  key: ObjectKeySchema,
  url: z.url({ protocol: /^https?$/, message: 'must be an http:// or https:// URL' }),
  method: z.literal('PUT'),
  /** Every header the signature covers besides host (content-type, x-amz-meta-*, x-amz-checksum-sha256...): send exactly these. */
  headers: z.record(HeaderNameSchema, HeaderValueSchema),
  /** When the URL stops working, on the server's clock (the answer's Date header gives that clock). */
  expiresAt: z.iso.datetime({ offset: true }),
});
export type PresignedUpload = z.infer<typeof PresignedUploadSchema>;

export const UploadUrlsResponseSchema = z.object({ uploads: z.array(PresignedUploadSchema) });
export type UploadUrlsResponse = z.infer<typeof UploadUrlsResponseSchema>;

/** The manifest route's request is the manifest itself, as the sync engine writes it to storage. */
export const ManifestRequestSchema = RecordingManifestSchema;

/** An object of the manifest the server holds, as it holds it (which may differ from the manifest). */
export const HeldObjectSchema = z.object({
  key: ObjectKeySchema,
  sha256: Sha256HexSchema,
  /** Bytes stored: the manifest's `compressedSize` when intact. */
  size: z.number().int().nonnegative(),
});
export type HeldObject = z.infer<typeof HeldObjectSchema>;

/** `held` and `missing` together name each of the manifest's objects exactly once. */
export const ManifestResponseSchema = z.object({
  held: z.array(HeldObjectSchema),
  /** Objects the server does not hold, or cannot vouch for (no sha256 recorded with them). */
  missing: z.array(ObjectKeySchema),
});
export type ManifestResponse = z.infer<typeof ManifestResponseSchema>;

/** The error codes a server answers with, and the status of each. */
export const SYNC_SERVER_ERROR_STATUS = {
  /** No bearer token, or one the server does not know. */
  unauthorized: 401,
  /** A valid token, for another session. */
  forbidden: 403,
  /** A key outside the session's folder: nothing in the request was signed. */
  key_outside_session: 403,
  session_not_found: 404,
  not_found: 404,
  bad_request: 400,
  payload_too_large: 413,
  internal: 500,
} as const satisfies Record<string, number>;
export type SyncServerErrorCode = keyof typeof SYNC_SERVER_ERROR_STATUS;

/** The body of every failed request. `code` is a string here so a newer server's codes still parse. */
export const SyncServerErrorResponseSchema = z.object({
  error: z.object({ code: z.string().max(100), message: z.string().max(2000) }),
});
export type SyncServerErrorResponse = z.infer<typeof SyncServerErrorResponseSchema>;

/** The routes: path segment, request and response schema of each. */
export const SYNC_SERVER_ROUTES = {
  /** Presigned PUT URLs for objects of the session. */
  uploadUrls: { segment: 'upload-urls', request: UploadUrlsRequestSchema, response: UploadUrlsResponseSchema },
  /** What the server holds of the session's manifest. */
  manifest: { segment: 'manifest', request: ManifestRequestSchema, response: ManifestResponseSchema },
} as const;
export type SyncServerRoute = keyof typeof SYNC_SERVER_ROUTES;

/** Every route is a POST. */
export const SYNC_SERVER_METHOD = 'POST';

/** The route's path relative to the API URL (no leading slash, so a base path such as `/desktop/` is kept). */
export function syncServerPath(route: SyncServerRoute, sessionId: string): string {
  return `${SYNC_SERVER_API_VERSION}/sessions/${encodeURIComponent(sessionId)}/${SYNC_SERVER_ROUTES[route].segment}`;
}

/** The route and session of a request path (the part after the API's base path), or null. */
export function parseSyncServerPath(pathname: string): { route: SyncServerRoute; sessionId: string } | null {
  const match = /^\/?v1\/sessions\/([^/]+)\/([a-z-]+)$/.exec(pathname);
  if (!match) return null;
  const route = (Object.keys(SYNC_SERVER_ROUTES) as SyncServerRoute[]).find((name) => SYNC_SERVER_ROUTES[name].segment === match[2]);
  if (!route) return null;
  try {
    return { route, sessionId: decodeURIComponent(match[1]!) };
  } catch {
    return null;
  }
}

/** `sessions/YYYY/MM/DD/<sessionId>/<rest>`, as shared/storage/recordingObjects.ts lays keys out. */
const SESSION_KEY = /^sessions\/\d{4}\/\d{2}\/\d{2}\/([^/]+)\/(.+)$/;

/** The session whose folder `key` is in, or null when the key is in no session's folder. */
export function sessionIdOfKey(key: string): string | null {
  const match = SESSION_KEY.exec(key);
  if (!match) return null;
  // No empty, `.` or `..` segments: a key must not climb out of its folder in any reading of it.
  if (match[2]!.split('/').some((segment) => segment === '' || segment === '.' || segment === '..')) return null;
  return match[1]!;
}

/**
 * The rule the server enforces before signing: a session's token may only write under
 * `sessions/<date>/<sessionId>/`. The date is not checked, since only the client knows when
 * the session started (by its own clock); the manifest route checks it against `startedAt`.
 */
export function isKeyOfSession(key: string, sessionId: string): boolean {
  return sessionIdOfKey(key) === sessionId;
}
