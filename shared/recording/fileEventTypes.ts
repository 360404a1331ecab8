import type { EventType } from './eventTypes';

/**
 * Event types that need a `fileId`, because replay attributes them to a file. Kept apart from
 * eventTypes.ts and its schemas: the page needs it at start, and importing it from there would
 * build every event schema as the page loads.
 */
export const FILE_EVENT_TYPES: ReadonlySet<EventType> = new Set<EventType>([
  'code_edit',
  'file_created',
  'file_renamed',
  'file_deleted',
  'code_snapshot',
]);
