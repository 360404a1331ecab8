import { posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'electron-vite';
import type { Plugin } from 'vite';

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
    plugins: [react(), monacoWorkersWithoutEveryContribution()],
    build: {
      // Monaco is megabytes of script: minified, the page parses it faster at start.
      minify: true,
      rolldownOptions: {
        input: { index: fromRoot('renderer/index.html') },
      },
    },
  },
});
