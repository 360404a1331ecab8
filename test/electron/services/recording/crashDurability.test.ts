import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { configForDataDir } from '../../../../electron/services/config';
import { createServices } from '../../../../electron/services/container';
import { makeTempDir } from '../../../helpers/tempServices';

const repoRoot = join(import.meta.dirname, '../../../..');

describe('crash durability', () => {
  const temp = makeTempDir();
  afterEach(() => temp.cleanup());

  it('keeps every acknowledged event, in order and without a gap, when the recorder is killed with SIGKILL', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'test/fixtures/recordUntilKilled.ts'), temp.dir], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let sessionId = '';
    const acked: number[] = [];
    let buffered = '';
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        if (line.startsWith('session ')) sessionId = line.slice(8);
        if (line.startsWith('ack ')) acked.push(Number(line.slice(4)));
        // Kill mid-stream, while bursts are queued and being committed.
        if (acked.length === 5000) child.kill('SIGKILL');
      }
    });
    // Bounded: should the child never reach 5,000 acknowledgements, kill it anyway and let the checks below fail.
    const deadline = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const signal = await exited;
    clearTimeout(deadline);
    expect(signal).toBe('SIGKILL');
    expect(sessionId).not.toBe('');
    expect(acked.length).toBeGreaterThanOrEqual(5000);

    const services = createServices(configForDataDir(temp.dir));
    try {
      const stored = services.replay.getEvents(sessionId, { limit: 10_000 }).map((event) => event.seq);
      while (stored.length % 10_000 === 0 && stored.length > 0) {
        const more = services.replay.getEvents(sessionId, { afterSeq: stored.at(-1)!, limit: 10_000 }).map((event) => event.seq);
        if (more.length === 0) break;
        stored.push(...more);
      }
      // No gap, in order, from 1.
      expect(stored).toEqual(Array.from({ length: stored.length }, (_, i) => i + 1));
      // Every acknowledged event survived.
      expect(Math.max(...acked)).toBeLessThanOrEqual(stored.length);
      const storedSet = new Set(stored);
      expect(acked.filter((seq) => !storedSet.has(seq))).toEqual([]);
      expect(await services.sessions.verifySession(sessionId)).toMatchObject({ valid: true, eventCount: stored.length });
      expect((await services.sessions.listInterruptedSessions()).map((s) => s.id)).toEqual([sessionId]);
    } finally {
      services.dispose();
    }
  });
});
