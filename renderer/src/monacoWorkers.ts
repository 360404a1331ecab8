/**
 * How Monaco's web workers start, for the editor itself (MonacoEnvironment.getWorker, set in
 * monacoSetup) and for the TypeScript language service.
 *
 * `createWebWorker` stands in for Monaco's own internal/common/workers.js, which the language
 * features import for that one function: the build points that import here
 * (electron.vite.config.ts). Monaco's module also imports every editor contribution for its side
 * effects (diff editor, inline completions, sticky scroll, code lens, GPU rendering...), and the
 * TypeScript language loads it as the first JavaScript or TypeScript model opens: the page would
 * parse and run all of those, which monacoSetup leaves out, on the way to the editor.
 */
import { editor } from 'monaco-editor/editor';
// Vite builds each worker into its own file of the bundle (`?worker`).
import EditorWorker from 'monaco-editor/editor/editor.worker?worker';
import TypeScriptWorker from 'monaco-editor/languages/features/typescript/ts.worker?worker';
import { whenIdle } from './whenIdle';

/**
 * Starts the worker for `label`: the TypeScript language service for its two languages, the
 * plain editor worker (diffs, links, word-based completion) for everything else.
 */
export function startMonacoWorker(label: string): Promise<Worker> {
  // Started in an idle moment, not when Monaco asks: it asks as the first model is created,
  // and the TypeScript worker's 7 MB of script would then compile while the main thread
  // builds the workspace and its editor, competing with it for the CPU. Diagnostics and
  // completion start that much later; what Monaco sends meanwhile waits for the worker.
  return new Promise((resolve) => {
    whenIdle(() => resolve(label === 'typescript' || label === 'javascript' ? new TypeScriptWorker() : new EditorWorker()));
  });
}

/**
 * What a language feature passes to start its worker, as far as it is used here: the worker's
 * `moduleId` and `createWorker`, also passed, are not needed, as startMonacoWorker knows the
 * worker for each label.
 */
export interface LanguageWorkerOptions {
  /** Which worker; the TypeScript language passes its language id. */
  label?: string;
  /** Data the worker's `create` receives (compiler options, extra libraries...). */
  createData?: unknown;
  /** Functions the worker may call back on the page. */
  host?: editor.IInternalWebWorkerOptions['host'];
  keepIdleModels?: boolean;
}

/** A worker client that keeps the worker's copies of the models in sync, as Monaco's own createWebWorker returns. */
export function createWebWorker<T extends object>(options: LanguageWorkerOptions): editor.MonacoWebWorker<T> {
  const worker = startMonacoWorker(options.label ?? 'monaco-editor-worker').then((started) => {
    // The start handshake Monaco's workers expect: a first message they skip, then the data
    // for the language service's `create`.
    started.postMessage('ignore');
    started.postMessage(options.createData);
    return started;
  });
  return editor.createWebWorker<T>({ worker, host: options.host, keepIdleModels: options.keepIdleModels });
}
