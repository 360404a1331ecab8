import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configForDataDir, type AppConfig } from '../../electron/services/config';
import { createServices, type ServiceOverrides, type Services } from '../../electron/services/container';

/** A fresh temp folder, removed by the returned cleanup. */
export function makeTempDir(prefix = 'interviewlm-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Builds real services on a temp folder. Call `reopen` to simulate an app restart on the
 * same data, and `cleanup` in afterEach.
 */
export function tempServices(overrides: Partial<Omit<AppConfig, 'dataDir' | 'databasePath'>> = {}, serviceOverrides: ServiceOverrides = {}) {
  const temp = makeTempDir();
  const config = configForDataDir(temp.dir, overrides);
  let services: Services | undefined = createServices(config, serviceOverrides);
  return {
    config,
    get services(): Services {
      if (!services) throw new Error('services are closed');
      return services;
    },
    reopen(): Services {
      services?.dispose();
      services = createServices(config, serviceOverrides);
      return services;
    },
    close(): void {
      services?.dispose();
      services = undefined;
    },
    cleanup(): void {
      services?.dispose();
      services = undefined;
      temp.cleanup();
    },
  };
}

/** The error a promise rejects with; fails the test if it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<{ code?: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { code?: string; message: string };
  }
  throw new Error('expected the promise to reject, but it resolved');
}
