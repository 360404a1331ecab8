import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import type { AppConfig } from '../services/config';

/** Electron's safeStorage, as far as this module needs it (the OS keychain encrypts). */
export interface SecretCipher {
  isEncryptionAvailable(): boolean;
  encryptString(plainText: string): Buffer;
  decryptString(encrypted: Buffer): string;
}

/** The secrets the person may set in the app's settings instead of the environment. */
export interface SecretSettings {
  anthropicApiKey?: string;
}

const FILE_NAME = 'secrets.json';

/** On disk: each secret as base64 of its safeStorage ciphertext; never the plain text. */
const SecretFileSchema = z.object({ anthropicApiKey: z.string().optional() });

/** Where the encrypted secrets live: the userData folder. */
export function secretSettingsPath(userDataDir: string): string {
  return join(userDataDir, FILE_NAME);
}

/**
 * Reads the secrets saved through the settings screen. Unreadable or undecryptable entries
 * (another machine's keychain, a damaged file) are dropped, not fatal: the app starts, and
 * the assistant says it has no key.
 */
export function readSecretSettings(path: string, cipher: SecretCipher): SecretSettings {
  if (!existsSync(path) || !cipher.isEncryptionAvailable()) return {};
  try {
    const file = SecretFileSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
    return file.anthropicApiKey ? { anthropicApiKey: cipher.decryptString(Buffer.from(file.anthropicApiKey, 'base64')) } : {};
  } catch {
    return {};
  }
}

/** Saves secrets encrypted with the OS keychain; refuses when the OS offers no encryption rather than writing plain text. */
export function writeSecretSettings(path: string, cipher: SecretCipher, secrets: SecretSettings): void {
  if (!cipher.isEncryptionAvailable()) throw new Error('This computer offers no encrypted storage for secrets; set ANTHROPIC_API_KEY in the environment instead.');
  const file = secrets.anthropicApiKey ? { anthropicApiKey: cipher.encryptString(secrets.anthropicApiKey).toString('base64') } : {};
  mkdirSync(dirname(path), { recursive: true });
  // Write then rename: a crash never leaves half a file.
  writeFileSync(`${path}.tmp`, JSON.stringify(file), { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
}

/** The config with the saved API key when the environment sets none (the environment wins). */
export function withSecretSettings(config: AppConfig, secrets: SecretSettings): AppConfig {
  if (config.ai.apiKey || !secrets.anthropicApiKey) return config;
  return { ...config, ai: { ...config.ai, apiKey: secrets.anthropicApiKey } };
}
