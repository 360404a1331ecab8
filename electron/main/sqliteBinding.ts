import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { AppConfig } from '../services/config';

/** Where the app runs from, as far as finding the Electron-ABI better-sqlite3 addon goes. */
export interface AppLocation {
  isPackaged: boolean;
  /** process.resourcesPath: electron-builder's extraResources land here. */
  resourcesPath: string;
  /** app.getAppPath(): the project root in development. */
  appPath: string;
}

const ADDON_FILE = 'better_sqlite3.node';

/**
 * Where the better-sqlite3 addon built for Electron's ABI is expected: copied to
 * resources/native/ by electron-builder.yml when packaged, or left in build/electron-native/
 * by electron/scripts/build-electron-native.mjs in development.
 */
export function expectedSqliteBinding(location: AppLocation): string {
  return location.isPackaged
    ? join(location.resourcesPath, 'native', ADDON_FILE)
    : join(location.appPath, 'build', 'electron-native', ADDON_FILE);
}

/**
 * The config with its SQLite addon filled in. INTERVIEWLM_SQLITE_BINDING (already in the
 * config) wins; otherwise the expected addon is used when it exists. When it does not,
 * better-sqlite3 falls back to its own Node-ABI build, which fails to load with an error
 * the startup dialog names.
 */
export function withSqliteBinding(config: AppConfig, location: AppLocation, exists: (path: string) => boolean = existsSync): AppConfig {
  if (config.sqliteNativeBinding) return config;
  const binding = expectedSqliteBinding(location);
  return exists(binding) ? { ...config, sqliteNativeBinding: binding } : config;
}
