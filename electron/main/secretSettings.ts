import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { AppError } from '../../shared/errors';
import { SavedSettingsSchema, SavedStorageSettingsSchema, type SavedSettings, type SavedStorageSettings } from '../services/settings/settingsStore';
import { writeFileAtomically } from '../services/settings/writeFileAtomically';

/** Electron's safeStorage, as far as this module needs it (the OS keychain encrypts). */
export interface SecretCipher {
  isEncryptionAvailable(): boolean;
  encryptString(plainText: string): Buffer;
  decryptString(encrypted: Buffer): string;
  /** Linux only: `basic_text` means no keychain was found and "encryption" uses a password built into Chromium. */
  getSelectedStorageBackend?(): string;
}

const FILE_NAME = 'secrets.json';

/**
 * On disk: each secret as base64 of its safeStorage ciphertext, never the plain text; the
 * bucket, region, endpoint, path style and access key id (not secrets) as they are: the shape
 * of SavedSettings. Keys it does not know (a later version's) are ignored.
 */
const SecretFileSchema = SavedSettingsSchema.strip().extend({ storage: SavedStorageSettingsSchema.strip().optional() });
type SecretFile = z.infer<typeof SecretFileSchema>;

/** Where the encrypted secrets live: the userData folder. */
export function secretSettingsPath(userDataDir: string): string {
  return join(userDataDir, FILE_NAME);
}

/**
 * Why secrets cannot be encrypted here, or null when they can. On Linux without a keychain
 * (no GNOME Keyring or KWallet), safeStorage "encrypts" with a password every copy of
 * Chromium shares: that is plain text with extra steps, so it counts as no encryption.
 */
export function encryptionUnavailableReason(cipher: SecretCipher, platform: NodeJS.Platform = process.platform): string | null {
  if (!cipher.isEncryptionAvailable()) return 'This computer offers no encrypted storage for secrets (the OS keychain is not available).';
  if (platform === 'linux' && cipher.getSelectedStorageBackend?.() === 'basic_text') {
    return 'This computer has no keychain (GNOME Keyring or KWallet) to encrypt secrets with.';
  }
  return null;
}

/**
 * Reads the settings saved through the settings screen. Unreadable or undecryptable entries
 * (another machine's keychain, a damaged file) are dropped, not fatal: the app starts, and
 * the assistant says it has no key. A bucket whose key pair cannot be decrypted keeps its
 * place, without the pair.
 */
export function readSecretSettings(path: string, cipher: SecretCipher): SavedSettings {
  if (!existsSync(path)) return {};
  let file: SecretFile;
  try {
    file = SecretFileSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
  } catch {
    return {};
  }
  const decrypt = (encrypted: string | undefined): string | undefined => {
    if (encrypted === undefined || !cipher.isEncryptionAvailable()) return undefined;
    try {
      return cipher.decryptString(Buffer.from(encrypted, 'base64'));
    } catch {
      return undefined;
    }
  };
  const settings: SavedSettings = {};
  const anthropicApiKey = decrypt(file.anthropicApiKey);
  if (anthropicApiKey) settings.anthropicApiKey = anthropicApiKey;
  if (file.storage) {
    const { bucket, region, endpoint, forcePathStyle, accessKeyId } = file.storage;
    const secretAccessKey = decrypt(file.storage.secretAccessKey);
    const storage: SavedStorageSettings = { bucket, region, forcePathStyle, ...(endpoint ? { endpoint } : {}) };
    if (accessKeyId && secretAccessKey) Object.assign(storage, { accessKeyId, secretAccessKey });
    settings.storage = storage;
  }
  return settings;
}

/**
 * Saves the settings, secrets encrypted with the OS keychain, atomically (temp file, fsync,
 * rename: never half a file). Refuses with SETTINGS_UNAVAILABLE when the OS offers no
 * encryption, rather than writing a secret in plain text.
 */
export function writeSecretSettings(path: string, cipher: SecretCipher, secrets: SavedSettings, platform: NodeJS.Platform = process.platform): void {
  const unavailable = encryptionUnavailableReason(cipher, platform);
  if (unavailable) throw new AppError('SETTINGS_UNAVAILABLE', `${unavailable} Settings were not saved; set ANTHROPIC_API_KEY and AWS_* in the environment instead.`);
  const encrypt = (plain: string) => cipher.encryptString(plain).toString('base64');
  const file: SecretFile = {};
  if (secrets.anthropicApiKey) file.anthropicApiKey = encrypt(secrets.anthropicApiKey);
  if (secrets.storage) {
    const { secretAccessKey, ...visible } = secrets.storage;
    file.storage = { ...visible, ...(secretAccessKey ? { secretAccessKey: encrypt(secretAccessKey) } : {}) };
  }
  try {
    writeFileAtomically(path, JSON.stringify(file), 0o600);
  } catch (error) {
    throw new AppError('SETTINGS_SAVE_FAILED', `The settings could not be saved to ${path}: ${(error as Error).message}`, { path });
  }
}
