import type { EventInput, TextChange } from '../../shared/recording/eventTypes';
import type { CodeSnapshot } from '../../shared/recording/session';
import type { SeededRandom } from './random';

/** Where the simulator sends what the candidate does; `at` is simulated ms since the start. */
export interface EditorSink {
  event(at: number, event: EventInput): void;
  snapshot(at: number, snapshot: CodeSnapshot): void;
}

/** A file as the simulated editor holds it: the ground truth replay must reproduce. */
export interface SimulatedFile {
  readonly fileId: string;
  fileName: string;
  readonly language: string;
  content: string;
  exists: boolean;
}

interface OpenFile extends SimulatedFile {
  cursor: number;
  /** Newlines before the cursor, kept incrementally: the cursor's line number minus one. */
  linesBeforeCursor: number;
  editsSinceSnapshot: number;
}

export interface EditorSimulatorOptions {
  /** The app snapshots the active file after this many content changes (Infinity: never). */
  snapshotEveryEdits: number;
  /** Median ms between two keys while typing. */
  keyDelayMs: number;
}

function countNewlines(text: string): number {
  let count = 0;
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) count++;
  return count;
}

const TYPO_KEYS = 'qwertyuiopasdfghjklzxcvbnm'.split('');

/**
 * A candidate at a Monaco editor, reduced to the events the renderer would record: each
 * key press is a `keystroke`, the `code_edit` it causes and the `cursor` move after it.
 * The simulator applies every edit to its own copy of each file, so the snapshots it asks
 * for always hold the content the edits produce.
 */
export class EditorSimulator {
  private readonly files = new Map<string, OpenFile>();
  private active: OpenFile | null = null;
  /** Simulated time, ms since the start. */
  clock = 0;

  constructor(
    private readonly random: SeededRandom,
    private readonly sink: EditorSink,
    private readonly options: EditorSimulatorOptions,
  ) {}

  /** Every file ever created, with its current content. */
  allFiles(): SimulatedFile[] {
    return [...this.files.values()];
  }

  get activeFile(): SimulatedFile | null {
    return this.active;
  }

  wait(ms: number): void {
    this.clock += ms;
  }

  /** Emits a non-editor event (focus, notes...) at the current time. */
  emit(event: EventInput): void {
    this.sink.event(this.clock, event);
  }

  createFile(fileId: string, fileName: string, language: string, content = ''): void {
    this.snapshotIfChanged();
    const file: OpenFile = { fileId, fileName, language, content, exists: true, cursor: content.length, linesBeforeCursor: countNewlines(content), editsSinceSnapshot: 0 };
    this.files.set(fileId, file);
    this.emit({ type: 'file_created', fileId, data: content ? { fileName, language, content } : { fileName, language } });
    this.active = file;
    this.emitCursor();
  }

  openFile(fileId: string): void {
    const file = this.files.get(fileId);
    if (!file?.exists) throw new Error(`cannot open ${fileId}`);
    if (this.active === file) return;
    // Leaving a file with unsaved-to-snapshot changes snapshots it, as the app does on blur.
    this.snapshotIfChanged();
    this.wait(this.random.humanDelay(600, 150, 3000));
    this.active = file;
    this.emit({ type: 'file_opened', fileId, data: {} });
    this.emitCursor();
  }

  renameFile(fileId: string, fileName: string): void {
    const file = this.requireFile(fileId);
    file.fileName = fileName;
    this.emit({ type: 'file_renamed', fileId, data: { fileName } });
  }

  deleteFile(fileId: string): void {
    const file = this.requireFile(fileId);
    file.exists = false;
    this.emit({ type: 'file_deleted', fileId, data: {} });
    if (this.active === file) this.active = null;
  }

  /** Types source lines at the cursor: Enter (with auto-indent), then the line's characters. */
  typeLines(lines: readonly string[], typoRate = 0.03): void {
    for (const line of lines) {
      const indent = /^\s*/.exec(line)![0];
      this.press('Enter', '\n' + indent);
      for (const char of line.slice(indent.length)) {
        if (char !== ' ' && this.random.chance(typoRate)) {
          this.press(this.random.pick(TYPO_KEYS), undefined);
          this.wait(this.random.humanDelay(250, 80, 900));
          this.backspace();
        }
        this.press(char, char);
      }
      this.wait(this.random.humanDelay(700, 150, 4000));
    }
  }

  /** Types prose (a note, a comment) as one run of characters. */
  typeText(text: string): void {
    for (const char of text) this.press(char === '\n' ? 'Enter' : char, char);
  }

  /** Backspace: deletes the character before the cursor. */
  backspace(): void {
    const file = this.requireActive();
    if (file.cursor === 0) return;
    this.wait(this.random.humanDelay(this.options.keyDelayMs, 30, 600));
    this.emit({ type: 'keystroke', data: { key: 'Backspace' } });
    if (file.content[file.cursor - 1] === '\n') file.linesBeforeCursor--;
    this.applyEdit(file, [{ rangeOffset: file.cursor - 1, rangeLength: 1, text: '' }], file.cursor - 1);
  }

  /** Moves the cursor with the arrow keys, one `keystroke` and one `cursor` event per press. */
  arrowLines(count: number): void {
    const file = this.requireActive();
    const key = count < 0 ? 'ArrowUp' : 'ArrowDown';
    for (let i = 0; i < Math.abs(count); i++) {
      const column = file.cursor - this.lineStart(file, file.cursor);
      const target =
        count < 0 ? this.lineStart(file, Math.max(0, this.lineStart(file, file.cursor) - 1)) : this.lineEnd(file, file.cursor) + 1;
      if (target > file.content.length) break;
      const end = this.lineEnd(file, target);
      this.wait(this.random.humanDelay(120, 40, 500));
      this.emit({ type: 'keystroke', data: { key } });
      this.moveCursor(file, Math.min(target + column, end));
      this.emitCursor();
    }
  }

  /** A mouse click somewhere in the file: only a `cursor` event. */
  clickAt(offset: number): void {
    const file = this.requireActive();
    this.wait(this.random.humanDelay(900, 200, 5000));
    this.moveCursor(file, Math.max(0, Math.min(offset, file.content.length)));
    this.emitCursor();
  }

  /** Clicks at the end of the file, where new code usually goes. */
  clickAtEnd(): void {
    this.clickAt(this.requireActive().content.length);
  }

  /** Clicks a random line. */
  clickRandomLine(): void {
    const file = this.requireActive();
    this.clickAt(this.lineStart(file, this.random.int(0, file.content.length)));
  }

  /** Selects some text to read it: a `selection` event and no edit. */
  selectForReading(): void {
    const file = this.requireActive();
    const start = this.lineStart(file, this.random.int(0, file.content.length));
    const end = this.lineEnd(file, Math.min(file.content.length, start + this.random.int(5, 200)));
    this.wait(this.random.humanDelay(800, 200, 4000));
    this.emitSelection(file, start, end);
  }

  /** Selects whole lines around the cursor and deletes them. */
  deleteLines(count: number): void {
    const file = this.requireActive();
    const start = this.lineStart(file, file.cursor);
    let end = start;
    for (let i = 0; i < count && end < file.content.length; i++) end = Math.min(file.content.length, this.lineEnd(file, end) + 1);
    if (end <= start) return;
    this.wait(this.random.humanDelay(700, 200, 3000));
    this.emitSelection(file, start, end);
    this.wait(this.random.humanDelay(300, 80, 1500));
    this.emit({ type: 'keystroke', data: { key: 'Backspace' } });
    this.moveCursor(file, start);
    this.applyEdit(file, [{ rangeOffset: start, rangeLength: end - start, text: '' }], start);
  }

  /** Double-clicks a word near the cursor and types a replacement over it. */
  replaceWord(replacement: string): void {
    const file = this.requireActive();
    const lineStart = this.lineStart(file, file.cursor);
    const line = file.content.slice(lineStart, this.lineEnd(file, file.cursor));
    const words = [...line.matchAll(/[A-Za-z_]\w{2,}/g)];
    if (words.length === 0 || replacement.length === 0) return;
    const word = this.random.pick(words);
    const start = lineStart + word.index;
    this.wait(this.random.humanDelay(900, 200, 4000));
    this.emitSelection(file, start, start + word[0].length);
    this.moveCursor(file, start);
    // The first key replaces the selection; the rest insert after it.
    this.press(replacement[0]!, replacement[0]!, word[0].length);
    for (const char of replacement.slice(1)) this.press(char, char);
  }

  /** Pastes text at the cursor: a `paste` event, then the edit it makes. */
  paste(text: string): void {
    const file = this.requireActive();
    this.wait(this.random.humanDelay(1200, 300, 6000));
    this.emit({ type: 'keystroke', data: { key: 'Ctrl+V' } });
    this.emit({ type: 'paste', data: { text, length: text.length } });
    const at = file.cursor;
    file.linesBeforeCursor += countNewlines(text);
    this.applyEdit(file, [{ rangeOffset: at, rangeLength: 0, text }], at + text.length);
  }

  /**
   * Toggles a line comment on the lines from the cursor down: one `code_edit` with a change
   * per line. Changes go bottom-up, as Monaco sends them, so each offset is valid against
   * the text left by the changes before it.
   */
  commentLines(count: number): void {
    const file = this.requireActive();
    const starts: number[] = [];
    for (let at = this.lineStart(file, file.cursor); starts.length < count && at <= file.content.length; at = this.lineEnd(file, at) + 1) {
      starts.push(at);
    }
    const changes: TextChange[] = starts.reverse().map((rangeOffset) => ({ rangeOffset, rangeLength: 0, text: '// ' }));
    this.wait(this.random.humanDelay(900, 200, 4000));
    this.emit({ type: 'keystroke', data: { key: 'Ctrl+/' } });
    this.moveCursor(file, starts.at(-1)!);
    this.applyEdit(file, changes, file.cursor);
  }

  /** Snapshots the active file if it changed since its last snapshot (the app does on pauses). */
  snapshotIfChanged(): void {
    if (this.active && this.active.exists && this.active.editsSinceSnapshot > 0) this.snapshot(this.active);
  }

  /** Snapshots every existing file that changed (the app does on close). */
  snapshotAllChanged(): void {
    for (const file of this.files.values()) if (file.exists && file.editsSinceSnapshot > 0) this.snapshot(file);
  }

  /** One key press that types `text` (by default the key itself), replacing `replacing` characters after the cursor. */
  private press(key: string, text: string | undefined, replacing = 0): void {
    const file = this.requireActive();
    this.wait(this.random.humanDelay(this.options.keyDelayMs, 25, 1500));
    this.emit({ type: 'keystroke', data: { key } });
    const typed = text ?? key;
    const at = file.cursor;
    file.linesBeforeCursor += countNewlines(typed);
    this.applyEdit(file, [{ rangeOffset: at, rangeLength: replacing, text: typed }], at + typed.length);
  }

  /** Applies changes in order, emits the `code_edit` and the cursor, and snapshots per policy. */
  private applyEdit(file: OpenFile, changes: TextChange[], cursorAfter: number): void {
    let text = file.content;
    for (const change of changes) text = text.slice(0, change.rangeOffset) + change.text + text.slice(change.rangeOffset + change.rangeLength);
    file.content = text;
    file.cursor = cursorAfter;
    this.emit({ type: 'code_edit', fileId: file.fileId, data: { changes } });
    this.emitCursor();
    file.editsSinceSnapshot++;
    if (file.editsSinceSnapshot >= this.options.snapshotEveryEdits) this.snapshot(file);
  }

  private snapshot(file: OpenFile): void {
    file.editsSinceSnapshot = 0;
    this.sink.snapshot(this.clock, { fileId: file.fileId, fileName: file.fileName, language: file.language, content: file.content });
  }

  /** Moves the cursor, keeping the line count in step by counting the newlines it crosses. */
  private moveCursor(file: OpenFile, to: number): void {
    if (to > file.cursor) file.linesBeforeCursor += countNewlines(file.content.slice(file.cursor, to));
    else if (to < file.cursor) file.linesBeforeCursor -= countNewlines(file.content.slice(to, file.cursor));
    file.cursor = to;
  }

  private emitCursor(): void {
    const file = this.active;
    if (!file) return;
    this.emit({ type: 'cursor', data: { lineNumber: file.linesBeforeCursor + 1, column: file.cursor - this.lineStart(file, file.cursor) + 1 } });
  }

  private emitSelection(file: OpenFile, start: number, end: number): void {
    const lineOf = (offset: number) =>
      offset >= file.cursor
        ? file.linesBeforeCursor + 1 + countNewlines(file.content.slice(file.cursor, offset))
        : file.linesBeforeCursor + 1 - countNewlines(file.content.slice(offset, file.cursor));
    this.emit({
      type: 'selection',
      data: {
        startLineNumber: lineOf(start),
        startColumn: start - this.lineStart(file, start) + 1,
        endLineNumber: lineOf(end),
        endColumn: end - this.lineStart(file, end) + 1,
      },
    });
  }

  private lineStart(file: OpenFile, offset: number): number {
    return offset === 0 ? 0 : file.content.lastIndexOf('\n', offset - 1) + 1;
  }

  private lineEnd(file: OpenFile, offset: number): number {
    const at = file.content.indexOf('\n', offset);
    return at === -1 ? file.content.length : at;
  }

  private requireFile(fileId: string): OpenFile {
    const file = this.files.get(fileId);
    if (!file) throw new Error(`no file ${fileId}`);
    return file;
  }

  private requireActive(): OpenFile {
    if (!this.active) throw new Error('no file is open');
    return this.active;
  }
}
