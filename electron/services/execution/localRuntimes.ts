import type { Language } from '../../../shared/execution/testCases';
import type { LanguageRuntime } from './harnessProtocol';
import { CompiledRuntime } from './local/compiledRuntime';
import { NodeRuntime } from './local/nodeRuntime';
import { PythonRuntime } from './local/pythonRuntime';

/** Where the local runtimes find their harnesses and interpreters. */
export interface LocalRuntimeOptions {
  harnessDir: string;
  /** The Node binary for JavaScript and TypeScript: Electron's own (run as Node) in the app. */
  nodePath?: string;
}

/** The languages this build runs on the candidate's machine, each with its runtime. */
export function localRuntimes(options: LocalRuntimeOptions): Partial<Record<Language, LanguageRuntime>> {
  const node = { harnessDir: options.harnessDir, ...(options.nodePath ? { nodePath: options.nodePath } : {}) };
  return {
    javascript: new NodeRuntime({ language: 'javascript', ...node }),
    typescript: new NodeRuntime({ language: 'typescript', ...node }),
    python: new PythonRuntime({ harnessDir: options.harnessDir }),
    // Program (stdin/stdout) cases only; each answers "not installed on this machine" without its toolchain.
    cpp: new CompiledRuntime({ language: 'cpp' }),
    java: new CompiledRuntime({ language: 'java' }),
  };
}
