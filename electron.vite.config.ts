import { posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'electron-vite';
import { normalizePath, runnerImport, type Plugin } from 'vite';

/**
 * electron-vite expects src/main, src/preload and src/renderer; our folders are electron/
 * and renderer/, so every input is named here. Output, as package.json "main" and the
 * BrowserWindow expect it: out/main/index.js (ESM, since "type" is "module"),
 * out/preload/index.cjs and out/renderer/index.html.
 */
const fromRoot = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/**
 * Monaco's language features import internal/common/workers.js for its createWebWorker, and
 * that module also imports every editor contribution Monaco has: this points the import at
 * renderer/src/monacoWorkers.ts, so the page loads only the contributions monacoSetup names.
 */
function monacoWorkersWithoutEveryContribution(): Plugin {
  return {
    name: 'interviewlm:monaco-workers',
    enforce: 'pre',
    resolveId(source, importer) {
      if (!importer || !source.endsWith('/internal/common/workers.js')) return null;
      const imported = posix.join(posix.dirname(importer.replaceAll('\\', '/')), source);
      return imported.endsWith('/monaco-editor/esm/vs/internal/common/workers.js') ? fromRoot('renderer/src/monacoWorkers.ts') : null;
    },
  };
}

/**
 * Replaces each of `files` with its exports as literals, evaluated in Node at build time: for a
 * module whose exports are plain data derived from code the page should not run. The file is
 * imported as it is (tests and the main side import it the same way), so its value is derived,
 * never listed a second time. Export values must be JSON; anything else fails the build.
 */
export function evaluatedAtBuildTime(files: readonly string[]): Plugin {
  const ids = new Set(files.map((file) => normalizePath(file)));
  return {
    name: 'interviewlm:evaluated-at-build-time',
    enforce: 'pre',
    async load(id) {
      if (!ids.has(id)) return null;
      const { module, dependencies } = await runnerImport<Record<string, unknown>>(id);
      // In watch mode, a change to the module or to anything it imports (the contract) rebuilds it.
      for (const dependency of dependencies) this.addWatchFile(dependency);
      return Object.entries(module)
        .map(([name, value]) => {
          const json = JSON.stringify(value);
          if (json === undefined || !isDeepStrictEqual(JSON.parse(json), value)) throw new Error(`${id}: the export ${name} is not plain JSON, so it cannot be evaluated at build time`);
          return name === 'default' ? `export default ${json};` : `export const ${name} = ${json};`;
        })
        .join('\n');
    },
  };
}

/**
 * The page and the preload build their APIs from the contract's names alone
 * (shared/ipc/ipcContractNames.ts): evaluated at build time, they reach both as literals, so
 * neither bundle holds the contract's zod schemas or builds them at start.
 */
export const PAGE_MODULES_EVALUATED_AT_BUILD_TIME = [fromRoot('shared/ipc/ipcContractNames.ts')];

export default defineConfig({
  main: {
    build: {
      // Every package.json dependency stays external (loaded from node_modules at run time).
      // better-sqlite3 must: it loads a native addon, picked at run time by the config.
      externalizeDeps: true,
      rolldownOptions: {
        // The sync worker is its own entry: out/main/syncWorker.js, next to index.js, where
        // electron/services/sync/workerSyncRunner.ts looks for it.
        input: { index: fromRoot('electron/main/index.ts'), syncWorker: fromRoot('electron/services/sync/syncWorkerMain.ts') },
      },
    },
  },
  preload: {
    plugins: [evaluatedAtBuildTime(PAGE_MODULES_EVALUATED_AT_BUILD_TIME)],
    build: {
      // A sandboxed preload can require only 'electron' and a few built-ins: it must be one
      // self-contained CommonJS file, with zod and shared/ bundled in.
      externalizeDeps: false,
      rolldownOptions: {
        input: { index: fromRoot('electron/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs', codeSplitting: false },
      },
    },
  },
  renderer: {
    root: fromRoot('renderer'),
    plugins: [react(), monacoWorkersWithoutEveryContribution(), evaluatedAtBuildTime(PAGE_MODULES_EVALUATED_AT_BUILD_TIME)],
    build: {
      // Monaco is megabytes of script: minified, the page parses it faster at start.
      minify: true,
      rolldownOptions: {
        input: { index: fromRoot('renderer/index.html') },
      },
    },
  },
});
