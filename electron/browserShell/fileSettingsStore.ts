import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { AppError } from '../../shared/errors';
import type { SettingsProtection } from '../../shared/settings/settings';
import { SavedSettingsSchema, type SavedSettings, type SettingsStore } from '../services/settings/settingsStore';
import { writeFileAtomically } from '../services/settings/writeFileAtomically';

const FILE_NAME = 'settings-unencrypted.json';
/** Read and write for this user account only. */
const OWNER_ONLY = 0o600;

/** The file on disk: a version, then the settings as they are (the secrets in plain text). */
const SettingsFileSchema = z.object({ version: z.literal(1), settings: SavedSettingsSchema });

/** Where the browser shell keeps settings: the data folder. */
export function fileSettingsPath(dataDir: string): string {
  return join(dataDir, FILE_NAME);
}

/**
 * The browser shell's settings store. Plain Node has no OS keychain, so the secrets are kept
 * unencrypted in a file only this user account can read (mode 0600), written atomically.
 * That is weaker than the Electron app's safeStorage: anything running as this user (or an
 * administrator, or a backup) can read the key. The screen and the README say so.
 */
export class FileSettingsStore implements SettingsStore {
  constructor(private readonly path: string) {}

  get protection(): SettingsProtection {
    return {
      kind: 'file',
      canSave: true,
      description: `Saved unencrypted in ${this.path}, readable only by this user account (mode 0600). This is weaker than the desktop app, which encrypts secrets with the OS keychain.`,
    };
  }

  /** What is saved; a damaged file counts as nothing saved, so the app still starts. */
  read(): SavedSettings {
    if (!existsSync(this.path)) return {};
    try {
      return SettingsFileSchema.parse(JSON.parse(readFileSync(this.path, 'utf8'))).settings;
    } catch {
      return {};
    }
  }

  write(settings: SavedSettings): void {
    const contents = JSON.stringify({ version: 1, settings: SavedSettingsSchema.parse(settings) }, null, 2);
    try {
      writeFileAtomically(this.path, contents, OWNER_ONLY);
    } catch (error) {
      throw new AppError('SETTINGS_SAVE_FAILED', `The settings could not be saved to ${this.path}: ${(error as Error).message}`, { path: this.path });
    }
  }
}
