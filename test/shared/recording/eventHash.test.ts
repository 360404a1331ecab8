import { describe, expect, it } from 'vitest';
import { eventHashInput, genesisHashInput } from '../../../shared/recording/eventHash';

describe('eventHashInput', () => {
  const cases = [
    { seq: 1, timestamp: 1_700_000_000_000, type: 'session_started', fileId: null, dataJson: '{"candidateId":"c"}', prevHash: 'ab'.repeat(32) },
    { seq: 42, timestamp: 0, type: 'code_edit', fileId: 'file "1"\n\\', dataJson: '{}', prevHash: '0'.repeat(64) },
    { seq: 9_007_199_254_740_991, timestamp: 5, type: 'note', fileId: 'ünïcødé 🎉', dataJson: '[1,2]', prevHash: 'f'.repeat(64) },
  ];

  it.each(cases)('frames the header as the JSON array [prevHash, seq, timestamp, type, fileId] (%#)', (event) => {
    const expected = `${JSON.stringify([event.prevHash, event.seq, event.timestamp, event.type, event.fileId])}\n${event.dataJson}`;
    expect(eventHashInput(event)).toBe(expected);
  });

  it('cannot be forged by moving text between fields', () => {
    const a = eventHashInput({ seq: 1, timestamp: 1, type: 'note', fileId: 'x",1', dataJson: '{}', prevHash: 'h' });
    const b = eventHashInput({ seq: 1, timestamp: 1, type: 'note', fileId: 'x', dataJson: '1,{}', prevHash: 'h' });
    expect(a).not.toBe(b);
  });

  it('binds the first event to its session', () => {
    expect(genesisHashInput('ses_a')).not.toBe(genesisHashInput('ses_b'));
  });
});
