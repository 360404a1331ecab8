import type { Session } from '../../shared/recording/session';

/** Sessions a previous run left ACTIVE; null while they load. */
export interface InterruptedSessionListProps {
  sessions: Session[] | null;
  disabled: boolean;
  onResume(sessionId: string): void;
  /** Closes the session as ABANDONED. */
  onClose(sessionId: string): void;
}

/** Lists interrupted sessions, each with Resume and Close (abandon). */
export function InterruptedSessionList({ sessions, disabled, onResume, onClose }: InterruptedSessionListProps) {
  if (sessions === null) return <p className="muted">Loading…</p>;
  if (sessions.length === 0) return <p className="muted">None.</p>;
  return (
    <ul className="session-list">
      {sessions.map((session) => (
        <li key={session.id}>
          <div>
            <strong>{session.candidateId}</strong>
            <span className="muted">
              {' '}
              started {new Date(session.startedAt).toLocaleString()}, {session.lastSeq} {session.lastSeq === 1 ? 'event' : 'events'}
            </span>
          </div>
          <div className="actions">
            <button type="button" disabled={disabled} onClick={() => onResume(session.id)}>
              Resume
            </button>
            <button type="button" className="secondary" disabled={disabled} onClick={() => onClose(session.id)}>
              Close
            </button>
          </div>
        </li>
      ))}
    </ul>
  );
}
