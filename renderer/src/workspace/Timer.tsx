import { useEffect, useState } from 'react';

/** Elapsed time as m:ss, or h:mm:ss past an hour. */
export function formatElapsed(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = String(total % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${seconds}` : `${minutes}:${seconds}`;
}

/** The interview clock: time since `since` (an ISO time), ticking every second. */
export function Timer({ since }: { since: string }) {
  const start = Date.parse(since);
  // The start time in the candidate's locale, as a tooltip: formatted when the pointer first
  // comes over the clock, not in the workspace's first render, where it would load the page's
  // locale data (see formatCount), and once, not at every tick.
  const [startedAt, setStartedAt] = useState<string | null>(null);
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return (
    <span
      className="timer"
      data-testid="timer"
      title={startedAt === null ? undefined : `Started ${startedAt}`}
      onPointerEnter={() => setStartedAt((shown) => shown ?? new Date(start).toLocaleTimeString())}
    >
      {formatElapsed(now - start)}
    </span>
  );
}
