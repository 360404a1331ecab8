/** A row of the events table, exactly as the recorder wrote it (data is JSON text). */
export interface EventRow {
  session_id: string;
  seq: number;
  timestamp: number;
  type: string;
  file_id: string | null;
  data: string;
  hash: string;
}
