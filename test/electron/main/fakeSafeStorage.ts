import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { SecretCipher } from '../../../electron/main/secretSettings';

/**
 * Stands in for Electron's safeStorage (the Electron binary cannot run here): AES-GCM with a
 * key of its own, so another instance (another machine's keychain) cannot decrypt. `backend`
 * is what getSelectedStorageBackend answers on Linux (`basic_text`: no keychain).
 */
export function fakeSafeStorage(options: { available?: boolean; backend?: string } = {}): SecretCipher & { encryptions: number } {
  const key = randomBytes(32);
  const cipher = {
    encryptions: 0,
    isEncryptionAvailable: () => options.available ?? true,
    getSelectedStorageBackend: () => options.backend ?? 'gnome_libsecret',
    encryptString(plain: string) {
      cipher.encryptions += 1;
      const iv = randomBytes(12);
      const aes = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([aes.update(plain, 'utf8'), aes.final()]);
      return Buffer.concat([iv, aes.getAuthTag(), body]);
    },
    decryptString(encrypted: Buffer) {
      const decipher = createDecipheriv('aes-256-gcm', key, encrypted.subarray(0, 12));
      decipher.setAuthTag(encrypted.subarray(12, 28));
      return Buffer.concat([decipher.update(encrypted.subarray(28)), decipher.final()]).toString('utf8');
    },
  };
  return cipher;
}
