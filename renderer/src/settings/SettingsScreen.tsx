import { useCallback, useEffect, useRef, useState, type FormEvent, type KeyboardEvent, type ReactNode } from 'react';
import { createPortal } from 'react-dom';
import type { SettingsUpdate, SettingsView } from '../../../shared/settings/settings';
import { maskedSecretText } from '../../../shared/settings/maskedSecretText';
import { describeError } from '../describeError';
import type { InterviewLmClient } from '../interviewLmClient';
import { describeSavedSettings, describeSettingsError, settingsUpdateFrom, storageFormFrom, type StorageForm } from './settingsForm';

/** What the Settings button needs: the client the dialog reads and saves through. */
export interface SettingsButtonProps {
  client: InterviewLmClient;
  /** Renders as a quiet button (the workspace bar) rather than a secondary one. */
  compact?: boolean;
}

/**
 * The Settings button and the dialog it opens. The dialog sits over the current screen
 * (a portal), so the workspace stays mounted underneath and nothing it holds is lost.
 */
export function SettingsButton({ client, compact = false }: SettingsButtonProps) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" className={compact ? 'link' : 'secondary'} data-testid="open-settings" onClick={() => setOpen(true)}>
        Settings
      </button>
      {open && createPortal(<SettingsScreen client={client} onClose={() => setOpen(false)} />, document.body)}
    </>
  );
}

/** The settings dialog's client, and what closing it does. */
export interface SettingsScreenProps {
  client: InterviewLmClient;
  onClose(): void;
}

type Message = { kind: 'success' | 'error'; text: string };

/**
 * The settings screen: the API key (masked: bullets and its last four characters, with where it
 * comes from) with a field to replace it and a button to remove the saved one, and the cloud
 * storage bucket. The full key is typed here and sent once; the main process never sends it back.
 */
export function SettingsScreen({ client, onClose }: SettingsScreenProps) {
  const [view, setView] = useState<SettingsView | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [apiKeyDraft, setApiKeyDraft] = useState('');
  const [initialStorage, setInitialStorage] = useState<StorageForm>(() => storageFormFrom(null));
  const [storage, setStorage] = useState<StorageForm>(() => storageFormFrom(null));
  const [saving, setSaving] = useState(false);
  const [message, setMessage] = useState<Message | null>(null);
  const firstField = useRef<HTMLInputElement>(null);

  const show = useCallback((next: SettingsView) => {
    setView(next);
    const form = storageFormFrom(next.storage.saved);
    setInitialStorage(form);
    setStorage(form);
  }, []);

  useEffect(() => {
    let live = true;
    client.settings.read().then(
      (settings) => live && show(settings),
      (error: unknown) => live && setLoadError(describeError(error)),
    );
    return () => {
      live = false;
    };
  }, [client, show]);

  const loaded = view !== null;
  useEffect(() => {
    if (loaded) firstField.current?.focus();
  }, [loaded]);

  const apply = async (update: SettingsUpdate) => {
    setSaving(true);
    setMessage(null);
    try {
      const saved = await client.settings.save(update);
      show(saved);
      // The typed secrets leave the page's memory once they are saved.
      setApiKeyDraft('');
      setMessage({ kind: 'success', text: describeSavedSettings(update, saved) });
    } catch (error) {
      setMessage({ kind: 'error', text: describeSettingsError(error) });
    } finally {
      setSaving(false);
    }
  };

  const submit = (event: FormEvent) => {
    // The CSP's form-action 'none' would refuse a real submission anyway.
    event.preventDefault();
    if (saving) return;
    const update = settingsUpdateFrom(apiKeyDraft, storage, initialStorage);
    if (Object.keys(update).length === 0) {
      setMessage({ kind: 'error', text: 'Nothing to save: no field was changed.' });
      return;
    }
    void apply(update);
  };

  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === 'Escape') onClose();
    // Ctrl/Cmd+Enter runs the tests in the workspace; not from here.
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) event.preventDefault();
  };

  const field = <K extends keyof StorageForm>(name: K, value: StorageForm[K]) => setStorage((form) => ({ ...form, [name]: value }));
  const canSave = view?.protection.canSave ?? false;

  return (
    <div className="settings-backdrop" onKeyDown={onKeyDown}>
      <section className="settings-dialog panel" role="dialog" aria-modal="true" aria-labelledby="settings-title" data-testid="settings-screen">
        <header className="settings-header">
          <h2 id="settings-title">Settings</h2>
          <button type="button" className="secondary" data-testid="close-settings" onClick={onClose}>
            Close
          </button>
        </header>
        {loadError && (
          <p className="error" role="alert">
            {loadError}
          </p>
        )}
        {!view && !loadError && <p className="muted">Loading…</p>}
        {view && (
          <form className="settings-form" onSubmit={submit}>
            <p className={`notice ${view.protection.kind === 'os-keychain' && canSave ? '' : 'warning'}`} data-testid="settings-protection" data-kind={view.protection.kind}>
              {view.protection.description}
            </p>

            <fieldset disabled={saving}>
              <legend>Claude API key</legend>
              <p data-testid="api-key-status" data-source={view.apiKey.source}>
                {view.apiKey.inUse ? (
                  <>
                    In use: <code data-testid="api-key-masked">{maskedSecretText(view.apiKey.inUse)}</code> <SourceLabel source={view.apiKey.source} variable="ANTHROPIC_API_KEY" />
                  </>
                ) : (
                  'No key is set: the assistant is unavailable until one is saved here or set in ANTHROPIC_API_KEY.'
                )}
              </p>
              {view.apiKey.source === 'environment' && view.apiKey.saved && (
                <p className="muted">A saved key ({maskedSecretText(view.apiKey.saved)}) is kept, but not used while ANTHROPIC_API_KEY is set.</p>
              )}
              <label htmlFor="settings-api-key">{view.apiKey.saved ? 'Replace the saved key' : 'Save a key'}</label>
              <input
                id="settings-api-key"
                ref={firstField}
                data-testid="api-key-input"
                type="password"
                value={apiKeyDraft}
                placeholder="sk-ant-…"
                autoComplete="off"
                spellCheck={false}
                maxLength={256}
                onChange={(event) => setApiKeyDraft(event.target.value)}
              />
              <p className="muted">A new key applies to the assistant&apos;s next answer; no restart is needed.</p>
              {view.apiKey.saved && (
                <button type="button" className="secondary" data-testid="api-key-clear" disabled={!canSave} onClick={() => void apply({ apiKey: null })}>
                  Remove the saved key
                </button>
              )}
            </fieldset>

            <fieldset disabled={saving}>
              <legend>Cloud storage</legend>
              <p data-testid="storage-status" data-source={view.storage.source}>
                {view.storage.configured ? (
                  <>
                    Recordings go to <code>{view.storage.configured.bucket}</code> <SourceLabel source={view.storage.source} variable="AWS_S3_BUCKET" />
                  </>
                ) : (
                  'No bucket is set: recordings stay on this computer ("local only").'
                )}
              </p>
              {view.storage.source === 'environment' && <p className="muted">AWS_S3_BUCKET is set in the environment: its storage settings are used, and what is saved here is kept for when it is not.</p>}
              <div className="settings-grid">
                <Field id="settings-bucket" label="Bucket">
                  <input id="settings-bucket" data-testid="bucket-input" value={storage.bucket} placeholder="interviewlm-recordings" autoComplete="off" spellCheck={false} maxLength={63} onChange={(event) => field('bucket', event.target.value)} />
                </Field>
                <Field id="settings-region" label="Region">
                  <input id="settings-region" data-testid="region-input" value={storage.region} autoComplete="off" spellCheck={false} maxLength={64} onChange={(event) => field('region', event.target.value)} />
                </Field>
                <Field id="settings-endpoint" label="Endpoint (S3-compatible servers; empty for AWS)">
                  <input id="settings-endpoint" data-testid="endpoint-input" value={storage.endpoint} placeholder="https://minio.example:9000" autoComplete="off" spellCheck={false} onChange={(event) => field('endpoint', event.target.value)} />
                </Field>
                <label className="settings-checkbox">
                  <input type="checkbox" data-testid="path-style-input" checked={storage.forcePathStyle} onChange={(event) => field('forcePathStyle', event.target.checked)} />
                  Path-style URLs (most S3-compatible servers need them)
                </label>
                <Field id="settings-access-key-id" label="Access key id (empty: the environment's, if any)">
                  <input id="settings-access-key-id" data-testid="access-key-id-input" value={storage.accessKeyId} autoComplete="off" spellCheck={false} maxLength={128} onChange={(event) => field('accessKeyId', event.target.value)} />
                </Field>
                <Field id="settings-secret-access-key" label="Secret access key">
                  <input
                    id="settings-secret-access-key"
                    data-testid="secret-access-key-input"
                    type="password"
                    value={storage.secretAccessKey}
                    placeholder={view.storage.saved?.secretAccessKey ? `${maskedSecretText(view.storage.saved.secretAccessKey)} saved; empty keeps it` : ''}
                    autoComplete="off"
                    spellCheck={false}
                    maxLength={256}
                    onChange={(event) => field('secretAccessKey', event.target.value)}
                  />
                </Field>
              </div>
              <p className="muted" data-testid="storage-applies">
                Storage settings apply at the next start of the app.{' '}
                {view.storage.runningBucket ? (
                  <>
                    Until then this run keeps syncing to <code>{view.storage.runningBucket}</code>
                  </>
                ) : (
                  'Until then this run keeps its recordings on this computer'
                )}
                , so nothing already recorded moves or is sent twice. Empty the bucket to remove the saved storage.
              </p>
              {view.storage.restartNeeded && (
                <p className="warning" data-testid="restart-needed">
                  Restart the app to use the new storage settings.
                </p>
              )}
            </fieldset>

            <div className="settings-actions">
              <button type="submit" data-testid="save-settings" disabled={saving || !canSave}>
                {saving ? 'Saving…' : 'Save'}
              </button>
              {message && (
                <p className={message.kind === 'success' ? 'success' : 'error'} role={message.kind === 'success' ? 'status' : 'alert'} data-testid="settings-message" data-kind={message.kind}>
                  {message.text}
                </p>
              )}
            </div>
          </form>
        )}
      </section>
    </div>
  );
}

function SourceLabel({ source, variable }: { source: SettingsView['apiKey']['source']; variable: string }) {
  if (source === 'environment') return <span className="muted">(from the environment: {variable})</span>;
  if (source === 'saved') return <span className="muted">(saved in Settings)</span>;
  return null;
}

function Field({ id, label, children }: { id: string; label: string; children: ReactNode }) {
  return (
    <div className="settings-field">
      <label htmlFor={id}>{label}</label>
      {children}
    </div>
  );
}
