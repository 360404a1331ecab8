import { useEffect, useState } from 'react';
import { formatElapsed, formatTimeOfDay } from './formatTime';

/** The interview clock: time since `since` (an ISO time), ticking every second. */
export function Timer({ since }: { since: string }) {
  const start = Date.parse(since);
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return (
    <span className="timer" data-testid="timer" title={`Started at ${formatTimeOfDay(start)}`}>
      {formatElapsed(now - start)}
    </span>
  );
}
