import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { normalizePath, type Plugin } from 'vite';
import { describe, expect, it } from 'vitest';
import { PAGE_MODULES_EVALUATED_AT_BUILD_TIME, evaluatedAtBuildTime } from '../../../electron.vite.config';
import { contractNames, listChannelNames, listChannels } from '../../../shared/ipc/channel';
import { ipcContract } from '../../../shared/ipc/contract';
import { ipcContractNames } from '../../../shared/ipc/ipcContractNames';

const NAMES_FILE = fileURLToPath(new URL('../../../shared/ipc/ipcContractNames.ts', import.meta.url));

/** What the page's build makes of `file`: the plugin's load hook, as Vite calls it, and the files it watches. */
async function buildTimeModule(plugin: Plugin, file: string): Promise<{ code: string; watched: string[] }> {
  const watched: string[] = [];
  const load = plugin.load as (this: { addWatchFile(file: string): void }, id: string) => Promise<string | null>;
  const code = await load.call({ addWatchFile: (dependency) => watched.push(dependency) }, normalizePath(file));
  if (code === null) throw new Error(`the plugin left ${file} as it is`);
  return { code, watched };
}

/** Evaluates module source text as the page would (it imports nothing). */
function evaluate(code: string): Promise<Record<string, unknown>> {
  return import(`data:text/javascript,${encodeURIComponent(code)}`);
}

describe('ipcContractNames', () => {
  it('names every channel and event stream of the contract, under the wire names the main side registers', () => {
    expect(listChannelNames(ipcContractNames).map(({ name }) => name)).toEqual(listChannels(ipcContract).map(({ name }) => name));
    expect(ipcContractNames.events).toEqual(Object.keys(ipcContract.events));
  });

  it('is shipped to the page as its value, evaluated from the contract at build time: no schema, no import', async () => {
    expect(PAGE_MODULES_EVALUATED_AT_BUILD_TIME).toContain(NAMES_FILE);
    const { code, watched } = await buildTimeModule(evaluatedAtBuildTime(PAGE_MODULES_EVALUATED_AT_BUILD_TIME), NAMES_FILE);
    expect(code).not.toMatch(/\bimport\b|\bzod\b/);
    expect({ ...(await evaluate(code)) }).toEqual({ ipcContractNames: contractNames(ipcContract) });
    // A change to the contract, in watch mode, rebuilds the page's copy.
    expect(watched.map(normalizePath)).toContain(normalizePath(fileURLToPath(new URL('../../../shared/ipc/contract.ts', import.meta.url))));
  });

  it('fails the build for an export that is not plain JSON, rather than shipping something else', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'interviewlm-build-time-'));
    try {
      const file = join(dir, 'notJson.ts');
      writeFileSync(file, 'export const names = ["a"];\nexport const later = new Date(0);\n');
      await expect(buildTimeModule(evaluatedAtBuildTime([file]), file)).rejects.toThrow(/later is not plain JSON/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
