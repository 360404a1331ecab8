import { isAppError } from '../../../shared/errors';
import type { SettingsUpdate, SettingsView, StorageTargetView } from '../../../shared/settings/settings';
import { describeError } from '../describeError';

/** The cloud storage fields as the form holds them: text as typed. The secret is never prefilled. */
export interface StorageForm {
  bucket: string;
  region: string;
  endpoint: string;
  forcePathStyle: boolean;
  accessKeyId: string;
  /** A new secret access key; empty keeps the saved one. */
  secretAccessKey: string;
}

/** The form as it starts: what is saved (not the environment's values, which the form cannot change). */
export function storageFormFrom(saved: StorageTargetView | null): StorageForm {
  return {
    bucket: saved?.bucket ?? '',
    region: saved?.region ?? 'us-east-1',
    endpoint: saved?.endpoint ?? '',
    forcePathStyle: saved?.forcePathStyle ?? false,
    accessKeyId: saved?.accessKeyId ?? '',
    secretAccessKey: '',
  };
}

/**
 * What a save sends for cloud storage: nothing when the form is as it started (what is saved
 * stays), null when the bucket was emptied (saved storage is removed), else the fields, with
 * the secret access key only when a new one was typed.
 */
export function storageUpdateFrom(form: StorageForm, initial: StorageForm): SettingsUpdate['storage'] {
  const unchanged = (Object.keys(form) as (keyof StorageForm)[]).every((field) => form[field] === initial[field]);
  if (unchanged) return undefined;
  if (form.bucket.trim() === '') return null;
  const text = (value: string) => (value.trim() === '' ? null : value.trim());
  const secret = form.secretAccessKey.trim();
  return {
    bucket: form.bucket.trim(),
    region: form.region.trim() || 'us-east-1',
    endpoint: text(form.endpoint),
    forcePathStyle: form.forcePathStyle,
    accessKeyId: text(form.accessKeyId),
    ...(secret ? { secretAccessKey: secret } : {}),
  };
}

/** The whole update a Save sends: a typed key replaces the saved one; an empty field keeps it. */
export function settingsUpdateFrom(apiKeyDraft: string, storage: StorageForm, initialStorage: StorageForm): SettingsUpdate {
  const update: SettingsUpdate = {};
  if (apiKeyDraft.trim() !== '') update.apiKey = apiKeyDraft.trim();
  const storageUpdate = storageUpdateFrom(storage, initialStorage);
  if (storageUpdate !== undefined) update.storage = storageUpdate;
  return update;
}

const FIELD_LABELS: Readonly<Record<string, string>> = {
  apiKey: 'API key',
  'storage.bucket': 'Bucket',
  'storage.region': 'Region',
  'storage.endpoint': 'Endpoint',
  'storage.accessKeyId': 'Access key id',
  'storage.secretAccessKey': 'Secret access key',
};

/** A failed save in words for the form: the field and what is wrong with it, when the main process named them. */
export function describeSettingsError(error: unknown): string {
  if (isAppError(error, 'VALIDATION_FAILED')) {
    const issue = (error.details as { issues?: { path: string; message: string }[] } | undefined)?.issues?.[0];
    if (issue) {
      // The router names positional arguments: "0.apiKey" is the update's apiKey.
      const path = issue.path.replace(/^0\./, '');
      return `${FIELD_LABELS[path] ?? path}: ${issue.message}.`;
    }
  }
  return describeError(error);
}

/** What a successful save means, in a sentence: when each change applies. */
export function describeSavedSettings(update: SettingsUpdate, view: SettingsView): string {
  const parts: string[] = [];
  if (update.apiKey !== undefined) {
    if (view.apiKey.source === 'environment') parts.push('The key is saved, but ANTHROPIC_API_KEY in the environment is used while it is set.');
    else parts.push(update.apiKey === null ? 'The saved key is removed.' : 'The assistant uses the new key from its next answer.');
  }
  if (update.storage !== undefined) {
    if (view.storage.source === 'environment') parts.push('Storage is saved, but AWS_S3_BUCKET in the environment is used while it is set.');
    else parts.push(view.storage.restartNeeded ? 'Storage settings apply at the next start of the app.' : 'Storage settings are saved.');
  }
  return parts.length > 0 ? `Saved. ${parts.join(' ')}` : 'Nothing to save: no field was changed.';
}
