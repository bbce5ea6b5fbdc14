import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { InFlight } from '../../bot/lifecycle.js';

describe('work in flight', () => {
  it('drains: true once it is done, false when the time runs out first, and waits without a limit', async () => {
    const work = new InFlight();
    const slow = work.track(() => sleep(150));
    expect(await work.drain(20)).toBe(false);
    // No limit: it waits for the work (a timer of Infinity would fire at once, as 1 ms).
    expect(await work.drain(Number.POSITIVE_INFINITY)).toBe(true);
    await slow;
    expect(work.size).toBe(0);
    expect(await work.drain(0)).toBe(true);
  });
});
