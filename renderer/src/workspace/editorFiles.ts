import type * as Monaco from 'monaco-editor/editor';
import { Emitter, type Event } from '../../../shared/event';
import type { CodeSnapshot } from '../../../shared/recording/session';
import type { EditorRecorder } from '../recording/editorRecorder';
import { fileNameFor, isQuestionLanguage, languageOfFileName, type FileLanguage } from './languages';

/**
 * The part of Monaco's API the workspace uses. Components receive it as a prop (the real
 * module in the app), so a test can hand in a small fake.
 */
export interface MonacoApi {
  editor: Pick<typeof Monaco.editor, 'create' | 'createModel' | 'setModelLanguage'> & { EndOfLineSequence: Pick<typeof Monaco.editor.EndOfLineSequence, 'LF'> };
  Uri: Pick<typeof Monaco.Uri, 'from'>;
  KeyMod: Pick<typeof Monaco.KeyMod, 'CtrlCmd'>;
  KeyCode: Pick<typeof Monaco.KeyCode, 'Enter'>;
}

/** A file as the recording holds it (replay's ReplayFile, as far as the workspace needs it). */
export interface RecordedFile {
  fileId: string;
  fileName: string;
  language: string | null;
  content: string;
}

/** A file as the tabs show it; its text lives in its Monaco model, never in React state. */
export interface WorkspaceFile {
  fileId: string;
  fileName: string;
  language: FileLanguage;
}

interface Entry {
  file: WorkspaceFile;
  model: Monaco.editor.ITextModel;
  listener: Monaco.IDisposable;
  viewState: Monaco.editor.ICodeEditorViewState | null;
}

/**
 * The candidate's files: one Monaco model each, kept here in a Map (outside React), with
 * every content change, create, rename and delete sent to the recorder. Models use LF line
 * endings, so Monaco's offsets are offsets into the text the recorder holds.
 */
export class EditorFiles {
  private readonly entries = new Map<string, Entry>();
  private readonly changed = new Emitter<WorkspaceFile[]>();
  /** Set while `reload` writes the recording's text into the models: those changes are not the candidate's. */
  private silent = false;

  /** The file list changed (created, renamed, language, deleted). */
  readonly onDidChangeFiles: Event<WorkspaceFile[]> = this.changed.event;

  constructor(
    private readonly monaco: MonacoApi,
    private readonly recorder: EditorRecorder,
  ) {}

  list(): WorkspaceFile[] {
    return [...this.entries.values()].map((entry) => entry.file);
  }

  get(fileId: string): WorkspaceFile | null {
    return this.entries.get(fileId)?.file ?? null;
  }

  model(fileId: string): Monaco.editor.ITextModel | null {
    return this.entries.get(fileId)?.model ?? null;
  }

  fileIdOf(model: Monaco.editor.ITextModel): string | null {
    for (const [fileId, entry] of this.entries) if (entry.model === model) return fileId;
    return null;
  }

  content(fileId: string): string {
    return this.entries.get(fileId)?.model.getValue() ?? '';
  }

  /** What the recorder snapshots: the file as it is now, or null once deleted. */
  snapshotOf(fileId: string): CodeSnapshot | null {
    const entry = this.entries.get(fileId);
    return entry ? { fileId, fileName: entry.file.fileName, language: entry.file.language, content: entry.model.getValue() } : null;
  }

  /** The editor's scroll and cursor for a file, kept while another tab is open. */
  viewState(fileId: string): Monaco.editor.ICodeEditorViewState | null {
    return this.entries.get(fileId)?.viewState ?? null;
  }

  saveViewState(fileId: string, state: Monaco.editor.ICodeEditorViewState | null): void {
    const entry = this.entries.get(fileId);
    if (entry) entry.viewState = state;
  }

  /** A new file, recorded as file_created with its content. */
  create(fileName: string, language: FileLanguage, content: string): WorkspaceFile {
    const file = this.add(this.newFileId(), fileName, language, content);
    this.recorder.fileCreated({ ...file, content: this.content(file.fileId) });
    this.fire();
    return file;
  }

  /** Files the recording already holds (a resumed session): opened, not recorded again. */
  restore(files: readonly RecordedFile[]): void {
    for (const file of files) this.add(file.fileId, file.fileName, languageOf(file), file.content);
    this.fire();
  }

  /**
   * Makes the files what the recording holds now (another window changed them while it held
   * the session), recording nothing: the recording already has every one of those changes.
   * Files it does not hold are closed; the others keep their models, with the recorded text.
   */
  reload(files: readonly RecordedFile[]): void {
    const recorded = new Set(files.map((file) => file.fileId));
    this.silent = true;
    try {
      for (const [fileId, entry] of this.entries) {
        if (recorded.has(fileId)) continue;
        this.entries.delete(fileId);
        entry.listener.dispose();
        entry.model.dispose();
      }
      for (const file of files) {
        const entry = this.entries.get(file.fileId);
        const language = languageOf(file);
        if (!entry) {
          this.add(file.fileId, file.fileName, language, file.content);
          continue;
        }
        const content = file.content.replace(/\r\n?/g, '\n');
        if (entry.model.getValue() !== content) entry.model.setValue(content);
        if (language !== entry.file.language) this.monaco.editor.setModelLanguage(entry.model, language);
        entry.file = { fileId: file.fileId, fileName: file.fileName, language };
      }
    } finally {
      this.silent = false;
    }
    this.fire();
  }

  /** Renames a file; a known extension also sets its language. */
  rename(fileId: string, fileName: string): void {
    const entry = this.entries.get(fileId);
    if (!entry || entry.file.fileName === fileName) return;
    const language = languageOfFileName(fileName) ?? entry.file.language;
    this.update(entry, fileName, language);
  }

  /** Changes a file's language; a name with a known extension follows it (solution.js → solution.py). */
  setLanguage(fileId: string, language: FileLanguage): void {
    const entry = this.entries.get(fileId);
    if (!entry || entry.file.language === language) return;
    const fileName = isQuestionLanguage(language) && languageOfFileName(entry.file.fileName) ? fileNameFor(entry.file.fileName, language) : entry.file.fileName;
    this.update(entry, fileName, language);
  }

  /** Replaces a file's text as one undoable edit (recorded as a code_edit like any other). */
  replaceContent(fileId: string, content: string): void {
    const model = this.entries.get(fileId)?.model;
    model?.pushEditOperations([], [{ range: model.getFullModelRange(), text: content }], () => null);
  }

  delete(fileId: string): void {
    const entry = this.entries.get(fileId);
    if (!entry) return;
    this.entries.delete(fileId);
    this.recorder.fileDeleted(fileId);
    entry.listener.dispose();
    entry.model.dispose();
    this.fire();
  }

  dispose(): void {
    for (const entry of this.entries.values()) {
      entry.listener.dispose();
      entry.model.dispose();
    }
    this.entries.clear();
    this.changed.dispose();
  }

  private add(fileId: string, fileName: string, language: FileLanguage, content: string): WorkspaceFile {
    const uri = this.monaco.Uri.from({ scheme: 'inmemory', path: `/${fileId}/${fileName}` });
    const model = this.monaco.editor.createModel(content.replace(/\r\n?/g, '\n'), language, uri);
    model.setEOL(this.monaco.editor.EndOfLineSequence.LF);
    // Every model's own changes, whichever tab is showing: the recorder's code_edit source.
    const listener = model.onDidChangeContent((event) => {
      if (!this.silent) this.recorder.contentChanged(fileId, event.changes);
    });
    const file = { fileId, fileName, language };
    this.entries.set(fileId, { file, model, listener, viewState: null });
    return file;
  }

  private update(entry: Entry, fileName: string, language: FileLanguage): void {
    const languageChanged = language !== entry.file.language;
    if (languageChanged) this.monaco.editor.setModelLanguage(entry.model, language);
    entry.file = { ...entry.file, fileName, language };
    // The language travels with the rename, and a snapshot puts it on the file's content too.
    this.recorder.fileRenamed(entry.file.fileId, fileName, language);
    if (languageChanged) this.recorder.snapshotFile(entry.file.fileId);
    this.fire();
  }

  private newFileId(): string {
    return `file-${crypto.randomUUID()}`;
  }

  private fire(): void {
    this.changed.fire(this.list());
  }
}

/** The language a recorded file opens in: its own when the workspace knows it, else its name's, else plain text. */
function languageOf(file: RecordedFile): FileLanguage {
  return file.language && (isQuestionLanguage(file.language) || file.language === 'plaintext') ? file.language : (languageOfFileName(file.fileName) ?? 'plaintext');
}
