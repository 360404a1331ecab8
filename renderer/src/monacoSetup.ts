/**
 * Monaco, bundled with the app: the editor core, its features, and only the languages a
 * candidate writes (JavaScript, TypeScript, Python). Every file, worker and font comes from
 * the app's own bundle, so the editor works with the network unplugged; nothing loads from a
 * CDN. Imported lazily, once the start screen is painted (App), so the start screen does not
 * wait for it and, by the time Start is pressed, the editor usually does not either.
 */
import * as monaco from 'monaco-editor/editor';
import 'monaco-editor/features/register.all';
import 'monaco-editor/languages/definitions/javascript/register';
import 'monaco-editor/languages/definitions/typescript/register';
import 'monaco-editor/languages/definitions/python/register';
// JavaScript and TypeScript diagnostics and completion, from the TypeScript worker.
import 'monaco-editor/languages/features/typescript/register';
// Vite builds each worker into its own file of the bundle (`?worker`).
import EditorWorker from 'monaco-editor/editor/editor.worker?worker';
import TypeScriptWorker from 'monaco-editor/languages/features/typescript/ts.worker?worker';
import { whenIdle } from './whenIdle';

globalThis.MonacoEnvironment = {
  getWorker(_workerId: string, label: string): Promise<Worker> {
    // Started in an idle moment, not when Monaco asks: it asks as the first model is created,
    // and the TypeScript worker's 7 MB of script would then compile while the main thread
    // builds the workspace and its editor, competing with it for the CPU. Diagnostics and
    // completion start that much later; what Monaco sends meanwhile waits for the worker.
    return new Promise((resolve) => {
      whenIdle(() => {
        // The TypeScript language service serves both of its languages; everything else
        // (diffs, links, word-based completion) runs in the plain editor worker.
        resolve(label === 'typescript' || label === 'javascript' ? new TypeScriptWorker() : new EditorWorker());
      });
    });
  },
};

/** The Monaco API as the app uses it; passed down as a prop, so a fake can stand in for tests. */
export type Monaco = typeof monaco;

export { monaco };
