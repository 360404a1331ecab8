import type { SettingsProtection } from '../../shared/settings/settings';
import type { SavedSettings, SettingsStore } from '../services/settings/settingsStore';
import { encryptionUnavailableReason, readSecretSettings, writeSecretSettings, type SecretCipher } from './secretSettings';

/**
 * The Electron shell's settings store: secrets encrypted with the OS keychain through
 * safeStorage (`userData/secrets.json`). Where the OS offers no encryption it saves nothing
 * and says why, rather than writing a secret in plain text.
 */
export class SafeStorageSettingsStore implements SettingsStore {
  constructor(
    private readonly path: string,
    private readonly cipher: SecretCipher,
    private readonly platform: NodeJS.Platform = process.platform,
  ) {}

  get protection(): SettingsProtection {
    // Asked each time: the keychain may be locked at start and unlocked later.
    const unavailable = encryptionUnavailableReason(this.cipher, this.platform);
    if (unavailable) {
      return { kind: 'os-keychain', canSave: false, description: `${unavailable} Nothing can be saved here: set ANTHROPIC_API_KEY and AWS_* in the environment instead.` };
    }
    return { kind: 'os-keychain', canSave: true, description: `Secrets are encrypted with this computer's keychain (Electron safeStorage) in ${this.path}.` };
  }

  read(): SavedSettings {
    return readSecretSettings(this.path, this.cipher);
  }

  write(settings: SavedSettings): void {
    writeSecretSettings(this.path, this.cipher, settings, this.platform);
  }
}
