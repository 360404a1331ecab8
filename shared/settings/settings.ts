import { z } from 'zod';

/*
 * The settings screen's side of the contract: what the page may read (never a secret in
 * full: at most its last four characters) and what it may save. Secrets are the Anthropic API
 * key and the S3 secret access key; the bucket, region, endpoint, path style and access key
 * id are not secret and travel as they are.
 */

/** Where a setting in use comes from: the environment (which always wins), a saved value, or nowhere. */
export const SettingSourceSchema = z.enum(['environment', 'saved', 'none']);
export type SettingSource = z.infer<typeof SettingSourceSchema>;

/** A secret as the page sees it: that it is set, and its last four characters when it is long enough to spare them. */
export const MaskedSecretSchema = z.object({ lastFour: z.string().max(4).nullable() });
export type MaskedSecret = z.infer<typeof MaskedSecretSchema>;

/** Secrets shorter than this show no characters at all: four of a short one would give too much away. */
export const MIN_LENGTH_TO_SHOW_LAST_FOUR = 16;

/** A secret setting: the value in use and where it comes from, and the saved value (which the environment may override). */
export const SecretSettingViewSchema = z.object({
  source: SettingSourceSchema,
  /** The value the app uses; null when none is set. */
  inUse: MaskedSecretSchema.nullable(),
  /** The value saved in settings, even when the environment's wins; null when none is saved. */
  saved: MaskedSecretSchema.nullable(),
});
export type SecretSettingView = z.infer<typeof SecretSettingViewSchema>;

/** Where recordings go: a bucket and how to reach it. The secret access key is masked. */
export const StorageTargetViewSchema = z.object({
  bucket: z.string(),
  region: z.string(),
  /** An S3-compatible server; null for AWS S3 itself. */
  endpoint: z.string().nullable(),
  forcePathStyle: z.boolean(),
  /** An identifier, not a secret (AWS prints it in logs and consoles). */
  accessKeyId: z.string().nullable(),
  secretAccessKey: MaskedSecretSchema.nullable(),
});
export type StorageTargetView = z.infer<typeof StorageTargetViewSchema>;

/** Cloud storage as configured, as saved, and as this run of the app uses it. */
export const StorageSettingsViewSchema = z.object({
  /** Where `configured` comes from: the environment when it names a bucket (AWS_S3_BUCKET), else the saved settings. */
  source: SettingSourceSchema,
  /** What the environment and the saved settings add up to; null: local only. */
  configured: StorageTargetViewSchema.nullable(),
  /** What is saved in settings (the form starts from it); null: nothing saved. */
  saved: StorageTargetViewSchema.nullable(),
  /** The bucket this run of the app syncs to (null: local only). A change applies at the next start. */
  runningBucket: z.string().nullable(),
  /** `configured` differs from what this run uses: restart the app for it to apply. */
  restartNeeded: z.boolean(),
});
export type StorageSettingsView = z.infer<typeof StorageSettingsViewSchema>;

/** How this computer keeps saved settings, in words for the screen. */
export const SettingsProtectionSchema = z.object({
  /** `os-keychain`: encrypted with Electron's safeStorage; `file`: a file only this user account can read (weaker). */
  kind: z.enum(['os-keychain', 'file', 'none']),
  /** False when nothing can be saved here (no encryption available); `description` says why and what to do instead. */
  canSave: z.boolean(),
  description: z.string(),
});
export type SettingsProtection = z.infer<typeof SettingsProtectionSchema>;

/** Everything the settings screen shows. No secret is in it in full. */
export const SettingsViewSchema = z.object({
  apiKey: SecretSettingViewSchema,
  storage: StorageSettingsViewSchema,
  protection: SettingsProtectionSchema,
});
export type SettingsView = z.infer<typeof SettingsViewSchema>;

const VISIBLE_ASCII = /^[\x21-\x7e]+$/;

/**
 * An Anthropic API key: `sk-ant-` then letters, digits, `-` or `_`. A gateway's key of
 * another shape is set through ANTHROPIC_API_KEY instead.
 */
export const AnthropicApiKeySchema = z
  .string()
  .trim()
  .max(256, 'an API key is at most 256 characters')
  .regex(/^sk-ant-[A-Za-z0-9_-]{8,}$/, 'must be an Anthropic API key: sk-ant- followed by letters, digits, - or _ (a key of another shape goes in ANTHROPIC_API_KEY)');

const IP_ADDRESS = /^\d{1,3}(\.\d{1,3}){3}$/;
const RESERVED_BUCKET_PREFIXES = ['xn--', 'sthree-', 'amzn-s3-demo-'];
const RESERVED_BUCKET_SUFFIXES = ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'];

/** A bucket name by S3's naming rules for general purpose buckets (MinIO and R2 follow them too). */
export const S3BucketNameSchema = z
  .string()
  .trim()
  .min(3, 'a bucket name has 3 to 63 characters')
  .max(63, 'a bucket name has 3 to 63 characters')
  .regex(/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/, 'a bucket name holds lowercase letters, digits, dots and hyphens, and begins and ends with a letter or digit')
  .refine((name) => !name.includes('..'), 'a bucket name has no two dots in a row')
  .refine((name) => !IP_ADDRESS.test(name), 'a bucket name is not an IP address')
  .refine((name) => !RESERVED_BUCKET_PREFIXES.some((prefix) => name.startsWith(prefix)), `a bucket name does not start with ${RESERVED_BUCKET_PREFIXES.join(', ')}`)
  .refine((name) => !RESERVED_BUCKET_SUFFIXES.some((suffix) => name.endsWith(suffix)), `a bucket name does not end with ${RESERVED_BUCKET_SUFFIXES.join(', ')}`);

/** A region: `us-east-1`, or what an S3-compatible server expects (R2's `auto`). */
export const S3RegionSchema = z
  .string()
  .trim()
  .max(64, 'a region is at most 64 characters')
  .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'a region is lowercase letters and digits joined by hyphens, such as us-east-1');

/** An S3-compatible server's URL: http(s), with no credentials, query or fragment in it. */
export const S3EndpointSchema = z
  .string()
  .trim()
  .max(2048)
  .pipe(z.url({ protocol: /^https?$/, message: 'must be an http:// or https:// URL' }))
  .refine((url) => !/^[a-z]+:\/\/[^/]*@/i.test(url), 'must not hold a user name or password (the key pair is set separately)')
  .refine((url) => !/[?#]/.test(url), 'must not hold a query or fragment');

/** An access key id: an identifier (AWS's are 20 capitals and digits; MinIO's are freer). */
export const S3AccessKeyIdSchema = z.string().trim().min(3).max(128).regex(VISIBLE_ASCII, 'an access key id has no spaces or control characters');

/** A secret access key. */
export const S3SecretAccessKeySchema = z.string().trim().min(3).max(256).regex(VISIBLE_ASCII, 'a secret access key has no spaces or control characters');

/**
 * Saved cloud storage. The secret access key follows the rule of every secret here: absent
 * keeps the saved one, null clears it, a string replaces it. An access key id and a secret
 * access key go together, or neither (the environment's pair is used then, if it has one).
 */
export const StorageSettingsUpdateSchema = z.strictObject({
  bucket: S3BucketNameSchema,
  region: S3RegionSchema.default('us-east-1'),
  endpoint: S3EndpointSchema.nullable().default(null),
  forcePathStyle: z.boolean().default(false),
  accessKeyId: S3AccessKeyIdSchema.nullable().default(null),
  secretAccessKey: S3SecretAccessKeySchema.nullable().optional(),
});
export type StorageSettingsUpdate = z.output<typeof StorageSettingsUpdateSchema>;

/** What a save changes. For each member: absent keeps what is saved, null clears it, a value replaces it. */
export const SettingsUpdateSchema = z.strictObject({
  apiKey: AnthropicApiKeySchema.nullable().optional(),
  storage: StorageSettingsUpdateSchema.nullable().optional(),
});
export type SettingsUpdate = z.output<typeof SettingsUpdateSchema>;
