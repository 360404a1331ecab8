/**
 * Monaco, bundled with the app: the editor core, its features, and only the languages a
 * candidate writes (JavaScript, TypeScript, Python). Every file, worker and font comes from
 * the app's own bundle, so the editor works with the network unplugged; nothing loads from a
 * CDN. Imported lazily, as the page starts (bundledMonaco), so the start screen does not wait
 * for it and, by the time Start is pressed, the editor usually does not either.
 */
import * as monaco from 'monaco-editor/editor';
// The editor's features a candidate uses, named one by one rather than register.all, which adds
// every contribution Monaco has (diff editor, inline completions, sticky scroll, color picker,
// code lens, inlay hints, GPU rendering...): ~400 KB more script to parse and run before the
// editor opens, and more listeners on every keystroke, for features nobody writing one
// solution file reaches for. (monacoWorkers explains how the TypeScript language is kept from
// bringing them all back.)
import 'monaco-editor/features/codicon/register';
import 'monaco-editor/features/bracketMatching/register';
import 'monaco-editor/features/clipboard/register';
import 'monaco-editor/features/codeAction/register';
import 'monaco-editor/features/comment/register';
import 'monaco-editor/features/contextmenu/register';
import 'monaco-editor/features/cursorUndo/register';
import 'monaco-editor/features/dnd/register';
import 'monaco-editor/features/find/register';
import 'monaco-editor/features/folding/register';
import 'monaco-editor/features/format/register';
import 'monaco-editor/features/gotoError/register';
import 'monaco-editor/features/gotoLine/register';
import 'monaco-editor/features/hover/register';
import 'monaco-editor/features/indentation/register';
import 'monaco-editor/features/lineSelection/register';
import 'monaco-editor/features/linesOperations/register';
import 'monaco-editor/features/links/register';
import 'monaco-editor/features/multicursor/register';
import 'monaco-editor/features/parameterHints/register';
import 'monaco-editor/features/quickCommand/register';
import 'monaco-editor/features/readOnlyMessage/register';
import 'monaco-editor/features/rename/register';
import 'monaco-editor/features/smartSelect/register';
import 'monaco-editor/features/snippet/register';
import 'monaco-editor/features/toggleTabFocusMode/register';
import 'monaco-editor/features/tokenization/register';
import 'monaco-editor/features/unicodeHighlighter/register';
import 'monaco-editor/features/unusualLineTerminators/register';
import 'monaco-editor/features/wordHighlighter/register';
import 'monaco-editor/features/wordOperations/register';
import 'monaco-editor/features/wordPartOperations/register';
// The completion list itself: register.all brings it in only through inline completions, left
// out here; features/suggest is not it, but the variant that shows suggestions as inline text.
import 'monaco-editor/editor/contrib/suggest/browser/suggestController';
import 'monaco-editor/languages/definitions/javascript/register';
import 'monaco-editor/languages/definitions/typescript/register';
import 'monaco-editor/languages/definitions/python/register';
// JavaScript and TypeScript diagnostics and completion, from the TypeScript worker.
import { javascriptDefaults, typescriptDefaults } from 'monaco-editor/languages/features/typescript/register';
import { startMonacoWorker } from './monacoWorkers';
import { configureTypeScript } from './configureTypeScript';

globalThis.MonacoEnvironment = { getWorker: (_workerId: string, label: string) => startMonacoWorker(label) };
configureTypeScript([typescriptDefaults, javascriptDefaults]);

/** The Monaco API as the app uses it; passed down as a prop, so a fake can stand in for tests. */
export type Monaco = typeof monaco;

export { monaco };
