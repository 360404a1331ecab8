import type * as Monaco from 'monaco-editor/editor';

/**
 * The options the workspace's editor is created with. The start screen's warm-up editor
 * (warmUpEditor) uses them too, so it measures the same font and runs the same code.
 */
export const EDITOR_OPTIONS = {
  theme: 'vs-dark',
  automaticLayout: true,
  minimap: { enabled: false },
  fontSize: 14,
  tabSize: 2,
  scrollBeyondLastLine: false,
  // The candidate's own code only: no suggestions drawn from other files' words.
  wordBasedSuggestions: 'currentDocument',
} as const satisfies Monaco.editor.IStandaloneEditorConstructionOptions;
