/**
 * Monaco, bundled with the app: the editor core, its features, and only the languages a
 * candidate writes (JavaScript, TypeScript, Python). Every file, worker and font comes from
 * the app's own bundle, so the editor works with the network unplugged; nothing loads from a
 * CDN. Imported lazily (when a session starts), so the start screen does not wait for it.
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

globalThis.MonacoEnvironment = {
  getWorker(_workerId: string, label: string): Worker {
    // The TypeScript language service serves both of its languages; everything else
    // (diffs, links, word-based completion) runs in the plain editor worker.
    return label === 'typescript' || label === 'javascript' ? new TypeScriptWorker() : new EditorWorker();
  },
};

/** The Monaco API as the app uses it; passed down as a prop, so a fake can stand in for tests. */
export type Monaco = typeof monaco;

export { monaco };
