import type { LanguageServiceDefaults } from 'monaco-editor/languages/features/typescript/register';

/**
 * The globals a candidate's JavaScript and TypeScript run with (the sandbox is Node 20) beyond
 * the language's own library: the editor declares these and not the DOM's. Node's modules and
 * classes are declared loosely (any): code that uses them is not marked wrong, and the editor
 * carries no copy of Node's types.
 */
const NODE_GLOBALS = `
interface Console {
  log(...data: any[]): void; info(...data: any[]): void; warn(...data: any[]): void; error(...data: any[]): void;
  debug(...data: any[]): void; trace(...data: any[]): void; dir(item?: any, options?: any): void;
  table(tabularData: any, properties?: readonly string[]): void; assert(condition?: boolean, ...data: any[]): void;
  count(label?: string): void; countReset(label?: string): void; group(...data: any[]): void; groupEnd(): void;
  time(label?: string): void; timeEnd(label?: string): void; timeLog(label?: string, ...data: any[]): void;
}
declare var console: Console;
declare function setTimeout(callback: (...args: any[]) => void, ms?: number, ...args: any[]): any;
declare function clearTimeout(handle: any): void;
declare function setInterval(callback: (...args: any[]) => void, ms?: number, ...args: any[]): any;
declare function clearInterval(handle: any): void;
declare function setImmediate(callback: (...args: any[]) => void, ...args: any[]): any;
declare function clearImmediate(handle: any): void;
declare function queueMicrotask(callback: () => void): void;
declare function structuredClone<T>(value: T): T;
declare function atob(data: string): string;
declare function btoa(data: string): string;
declare var performance: { now(): number };
declare var process: any, Buffer: any, require: any, module: any, exports: any, crypto: any;
declare var URL: any, URLSearchParams: any, TextEncoder: any, TextDecoder: any, AbortController: any;
`;

/** The language's library: ES2023, what Node 20 implements; no DOM (no document or window when the code runs). */
const LANGUAGE_LIBRARY = ['es2023'];

/**
 * Sets the TypeScript language service's library and globals for both languages, so that it
 * knows what the candidate's code runs with. Leaving out the DOM's declarations (lib.dom.d.ts,
 * the default's largest file) also takes ~1 s of CPU off the TypeScript worker's start, which
 * runs as the workspace opens, beside the candidate's first keys.
 */
export function configureTypeScript(languages: readonly LanguageServiceDefaults[]): void {
  for (const defaults of languages) {
    defaults.setCompilerOptions({ ...defaults.getCompilerOptions(), lib: LANGUAGE_LIBRARY });
    defaults.setExtraLibs([{ content: NODE_GLOBALS, filePath: 'file:///node-globals.d.ts' }]);
  }
}
