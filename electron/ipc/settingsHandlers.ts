import type { IpcHandlers } from '../../shared/ipc/channel';
import type { InterviewLmContract } from '../../shared/ipc/contract';
import type { Services } from '../services/container';
import { SettingsService } from '../services/settings/settingsService';
import { settingsStoreUnavailable, type SettingsStore } from '../services/settings/settingsStore';
import type { SettingsEnvironment } from '../services/settings/withSavedSettings';

/** How the host of the services keeps settings: the shell's store, and what the environment alone configured. */
export interface SettingsHostOptions {
  /** safeStorage in the Electron shell, a 0600 file in the browser shell. */
  store: SettingsStore;
  /** The config the environment gave before saved settings were filled in: its values win, and the screen says so. */
  environment: SettingsEnvironment;
}

/**
 * The settings service for a host. Without settings options (tests, embedders) nothing can be
 * saved, and everything the services were configured with counts as the environment's.
 */
export function createSettingsService(services: Services, options?: SettingsHostOptions): SettingsService {
  return new SettingsService({
    store: options?.store ?? settingsStoreUnavailable('This app was started without a place to save settings: set them in the environment.'),
    environment: options?.environment ?? services.config,
    runningStorage: services.config.storage,
    apiKey: services.anthropicApiKey,
  });
}

/** The `settings` namespace of the contract, on the settings service: every answer has its secrets masked. */
export function createSettingsHandlers(settings: SettingsService): IpcHandlers<InterviewLmContract>['settings'] {
  return {
    read: () => settings.view(),
    save: (update) => settings.save(update),
  };
}
