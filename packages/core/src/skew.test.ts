import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { correctTimestamp, resolveServerTimes } from './skew';

const iso = (ms: number) => new Date(ms).toISOString();
const T = Date.UTC(2026, 10, 24, 10, 0, 0);

describe('correctTimestamp', () => {
  it('applies timestamp = receivedAt − (sentAt − originalTimestamp)', () => {
    expect(correctTimestamp({ receivedAt: 10_000, sentAt: 5_000, originalTimestamp: 4_000 })).toBe(9_000);
  });

  it('removes any constant device clock error', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e9, max: 1e9 }), fc.integer({ min: 0, max: 1e7 }), fc.integer({ min: 0, max: 1e5 }), (error, delay, transit) => {
        const happened = T;
        const sent = happened + delay;
        const received = sent + transit;
        // The device reports its own times shifted by `error`; the server's receipt is true time.
        const corrected = correctTimestamp({ receivedAt: received, sentAt: sent + error, originalTimestamp: happened + error });
        expect(corrected).toBe(happened + transit);
      }),
    );
  });
});

describe('resolveServerTimes', () => {
  it('corrects a device clock that runs an hour fast', () => {
    const hour = 3_600_000;
    const times = resolveServerTimes({ timestamp: iso(T + hour - 2_000), sentAt: iso(T + hour) }, T + 50);
    expect(times).toEqual({ timestamp: iso(T - 1_950), originalTimestamp: iso(T + hour - 2_000), receivedAt: iso(T + 50) });
  });

  it('uses the batch sentAt when the event has none', () => {
    expect(resolveServerTimes({ timestamp: iso(T - 1_000) }, T + 5_000, iso(T)).timestamp).toBe(iso(T + 4_000));
  });

  it('keeps the device timestamp when there is no sentAt to correct with', () => {
    expect(resolveServerTimes({ timestamp: iso(T - 1_000) }, T)).toEqual({ timestamp: iso(T - 1_000), originalTimestamp: iso(T - 1_000), receivedAt: iso(T) });
  });

  it('uses the receipt time when the event has no timestamp', () => {
    expect(resolveServerTimes({}, T)).toEqual({ timestamp: iso(T), receivedAt: iso(T) });
  });

  it('never puts an event after its receipt', () => {
    // A sentAt earlier than the event's own time is a client bug; the result is clamped to receipt.
    expect(resolveServerTimes({ timestamp: iso(T + 10_000), sentAt: iso(T) }, T + 100).timestamp).toBe(iso(T + 100));
  });
});
