import { useEffect, useRef } from 'react';
import type * as Monaco from 'monaco-editor/editor';
import type { EditorRecorder } from '../recording/editorRecorder';
import type { EditorFiles, MonacoApi } from './editorFiles';
import { EDITOR_OPTIONS } from './editorOptions';

export interface MonacoEditorProps {
  /** The Monaco API (monacoSetup's in the app, a fake in tests). */
  monaco: MonacoApi;
  files: EditorFiles;
  activeFileId: string | null;
  recorder: EditorRecorder;
  /** Ctrl/Cmd+Enter inside the editor. */
  onRunShortcut(): void;
  /** True while another window holds the session: the text can be read, not changed. */
  readOnly?: boolean;
}

/**
 * The imperative island: React owns the div, Monaco everything inside it. The editor is
 * created once and disposed on unmount; the models live in `files` (outside React state),
 * and switching tabs only swaps the model. Content changes reach the recorder from each
 * model (EditorFiles); the cursor, selection, pastes and editor focus from here.
 */
export function MonacoEditor({ monaco, files, activeFileId, recorder, onRunShortcut, readOnly = false }: MonacoEditorProps) {
  const host = useRef<HTMLDivElement>(null);
  const editorRef = useRef<Monaco.editor.IStandaloneCodeEditor | null>(null);
  const shownFileId = useRef<string | null>(null);
  const runShortcut = useRef(onRunShortcut);

  useEffect(() => {
    runShortcut.current = onRunShortcut;
  }, [onRunShortcut]);

  useEffect(() => {
    const editor = monaco.editor.create(host.current!, { ...EDITOR_OPTIONS, model: null });
    editorRef.current = editor;
    const current = () => {
      const model = editor.getModel();
      return model ? files.fileIdOf(model) : null;
    };
    const subscriptions = [
      editor.onDidChangeCursorSelection(({ selection }) => {
        const fileId = current();
        if (!fileId) return;
        recorder.cursorMoved(fileId, selection.getPosition());
        if (!selection.isEmpty()) recorder.selectionChanged(fileId, selection);
      }),
      editor.onDidPaste(({ range }) => {
        const model = editor.getModel();
        const fileId = current();
        // The pasted text is what the paste put in the model, whatever the clipboard held.
        if (model && fileId) recorder.pasted(model.getValueInRange(range), { target: 'editor', fileId });
      }),
      // Typed text goes into the DOM in the key's own task, once Monaco's handling of it is
      // done (a microtask), rather than in the next animation frame, where Monaco would render
      // it: a key then shows ~6 ms after it is pressed instead of ~12, and the frame that
      // paints it has only style, layout and paint left to do.
      editor.onDidChangeModelContent(() => queueMicrotask(() => editor.render())),
      editor.onDidFocusEditorText(() => recorder.focused('editor')),
      editor.onDidBlurEditorText(() => recorder.blurred('editor')),
      editor.addAction({
        id: 'interviewlm.runTests',
        label: 'Run tests',
        keybindings: [monaco.KeyMod.CtrlCmd | monaco.KeyCode.Enter],
        run: () => runShortcut.current(),
      }),
    ];
    return () => {
      if (shownFileId.current) files.saveViewState(shownFileId.current, editor.saveViewState());
      shownFileId.current = null;
      for (const subscription of subscriptions) subscription.dispose();
      editor.dispose();
      editorRef.current = null;
    };
  }, [monaco, files, recorder]);

  // After the create effect above, so the first render's value reaches the new editor too.
  useEffect(() => {
    editorRef.current?.updateOptions({ readOnly, domReadOnly: readOnly });
  }, [readOnly, monaco, files, recorder]);

  useEffect(() => {
    const editor = editorRef.current;
    if (!editor || shownFileId.current === activeFileId) return;
    if (shownFileId.current) files.saveViewState(shownFileId.current, editor.saveViewState());
    const model = activeFileId ? files.model(activeFileId) : null;
    editor.setModel(model);
    shownFileId.current = model ? activeFileId : null;
    if (model && activeFileId) {
      const viewState = files.viewState(activeFileId);
      if (viewState) editor.restoreViewState(viewState);
      editor.focus();
    }
  }, [activeFileId, files, monaco, recorder]);

  return <div ref={host} className="monaco-host" data-testid="editor" />;
}
