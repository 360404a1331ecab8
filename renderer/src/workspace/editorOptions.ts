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
  // The completion list opens once typing pauses, as it did when Monaco's inline completions
  // were loaded (monacoSetup leaves them out): its suggestions waited for that contribution's
  // 50 ms debounce and a round of its provider, and opened only after a pause of about 80 ms
  // (measured in Chromium: never while keys came every 70 ms, from pauses of 80-100 ms on).
  // Monaco's own default, 10 ms, would open and refilter the list mid-word at every speed.
  quickSuggestionsDelay: 80,
} as const satisfies Monaco.editor.IStandaloneEditorConstructionOptions;
