import { useRef, useState, type FormEvent } from 'react';
import type { WorkspaceFile } from './editorFiles';
import { fileNameProblem } from './languages';

export interface FileTabsProps {
  files: readonly WorkspaceFile[];
  activeFileId: string | null;
  onSelect(fileId: string): void;
  onCreate(): void;
  onRename(fileId: string, fileName: string): void;
  onDelete(fileId: string): void;
}

/** One tab per file: click to open, double-click or ✎ to rename, × to delete (confirmed), + to create. */
export function FileTabs({ files, activeFileId, onSelect, onCreate, onRename, onDelete }: FileTabsProps) {
  const [renaming, setRenaming] = useState<{ fileId: string; draft: string } | null>(null);
  const [confirmDelete, setConfirmDelete] = useState<string | null>(null);
  // Enter or Escape unmounts the input, and a blur may still follow: that blur must not rename again.
  const cancelled = useRef(false);

  const others = (fileId: string) => files.filter((file) => file.fileId !== fileId).map((file) => file.fileName);
  const problem = renaming ? fileNameProblem(renaming.draft, others(renaming.fileId)) : null;

  const startRename = (file: WorkspaceFile) => {
    cancelled.current = false;
    setRenaming({ fileId: file.fileId, draft: file.fileName });
  };
  /** Keeps a valid new name; an invalid one leaves the name as it was. */
  const commitRename = () => {
    if (renaming && !problem && !cancelled.current) onRename(renaming.fileId, renaming.draft.trim());
    cancelled.current = true;
    setRenaming(null);
  };
  const submitRename = (event: FormEvent) => {
    event.preventDefault();
    if (!problem) commitRename();
  };

  return (
    <div className="file-tabs" role="tablist">
      {files.map((file) => {
        const active = file.fileId === activeFileId;
        if (renaming?.fileId === file.fileId) {
          return (
            <form key={file.fileId} className="file-tab renaming" onSubmit={submitRename}>
              <input
                autoFocus
                data-testid="rename-input"
                value={renaming.draft}
                aria-invalid={problem !== null}
                title={problem ?? undefined}
                onChange={(event) => setRenaming({ fileId: file.fileId, draft: event.target.value })}
                onKeyDown={(event) => {
                  if (event.key !== 'Escape') return;
                  cancelled.current = true;
                  setRenaming(null);
                }}
                onBlur={commitRename}
              />
            </form>
          );
        }
        return (
          <div key={file.fileId} className={`file-tab ${active ? 'active' : ''}`} role="tab" aria-selected={active} data-testid="file-tab" data-file-name={file.fileName}>
            <button type="button" className="tab-name" onClick={() => onSelect(file.fileId)} onDoubleClick={() => startRename(file)}>
              {file.fileName}
            </button>
            {confirmDelete === file.fileId ? (
              <span className="tab-confirm">
                Delete?
                <button type="button" className="link danger" data-testid="confirm-delete-file" onClick={() => (setConfirmDelete(null), onDelete(file.fileId))}>
                  Yes
                </button>
                <button type="button" className="link" onClick={() => setConfirmDelete(null)}>
                  No
                </button>
              </span>
            ) : (
              <>
                <button type="button" className="link" title="Rename" data-testid="rename-file" onClick={() => startRename(file)}>
                  ✎
                </button>
                {files.length > 1 && (
                  <button type="button" className="link" title="Delete" data-testid="delete-file" onClick={() => setConfirmDelete(file.fileId)}>
                    ×
                  </button>
                )}
              </>
            )}
          </div>
        );
      })}
      <button type="button" className="link new-file" title="New file" data-testid="new-file" onClick={onCreate}>
        +
      </button>
    </div>
  );
}
