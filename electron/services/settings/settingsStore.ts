import { z } from 'zod';
import { AppError } from '../../../shared/errors';
import type { SettingsProtection } from '../../../shared/settings/settings';

/** Cloud storage saved through the settings screen. The key pair is both or neither. */
export const SavedStorageSettingsSchema = z.strictObject({
  bucket: z.string(),
  region: z.string(),
  endpoint: z.string().optional(),
  forcePathStyle: z.boolean(),
  accessKeyId: z.string().optional(),
  secretAccessKey: z.string().optional(),
});
export type SavedStorageSettings = z.infer<typeof SavedStorageSettingsSchema>;

/** What the settings screen saves; the environment's values win over these (see withSavedSettings). */
export const SavedSettingsSchema = z.strictObject({
  anthropicApiKey: z.string().optional(),
  storage: SavedStorageSettingsSchema.optional(),
});
export type SavedSettings = z.infer<typeof SavedSettingsSchema>;

/**
 * Where saved settings are kept. The services never import Electron: the Electron shell
 * implements this with safeStorage, the browser shell with a file only its user can read.
 */
export interface SettingsStore {
  /** How values are protected here, and whether anything can be saved at all. */
  readonly protection: SettingsProtection;
  /** What is saved; an unreadable or damaged entry is left out rather than fatal. */
  read(): SavedSettings;
  /**
   * Replaces everything saved, atomically (a crash leaves the old file or the new one, never
   * half of either). Throws SETTINGS_UNAVAILABLE when values cannot be protected here, and
   * SETTINGS_SAVE_FAILED when the file cannot be written.
   */
  write(settings: SavedSettings): void;
}

/** A store for hosts that keep no settings (tests, embedders): reads nothing, refuses to save. */
export function settingsStoreUnavailable(reason: string): SettingsStore {
  return {
    protection: { kind: 'none', canSave: false, description: reason },
    read: () => ({}),
    write: () => {
      throw new AppError('SETTINGS_UNAVAILABLE', reason);
    },
  };
}
