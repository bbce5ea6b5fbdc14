import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../channels/webchat/http.js';

describe('RateLimiter', () => {
  it('takes `limit` hits per key in a window, then refuses until the next window', () => {
    let now = 0;
    const limiter = new RateLimiter(3, 1000, () => now);
    expect([1, 2, 3, 4].map(() => limiter.take('a'))).toEqual([true, true, true, false]);
    expect(limiter.take('b')).toBe(true);
    now = 999;
    expect(limiter.take('a')).toBe(false);
    now = 1000;
    expect(limiter.take('a')).toBe(true);
  });

  it("keeps a key's count when a flood of other keys comes, forgetting the oldest instead", () => {
    const limiter = new RateLimiter(2, 60_000, () => 0, 100);
    for (let i = 0; i < 90; i++) limiter.take(`early-${i}`);
    expect([limiter.take('recent'), limiter.take('recent'), limiter.take('recent')]).toEqual([
      true,
      true,
      false,
    ]);
    // Past 100 keys, the oldest windows are forgotten, not every count.
    for (let i = 0; i < 20; i++) limiter.take(`flood-${i}`);
    expect(limiter.take('recent')).toBe(false);
    expect(limiter.take('early-0')).toBe(true);
  });

  it('forgets the windows that ended, so that a key seen once long ago costs nothing', () => {
    let now = 0;
    const limiter = new RateLimiter(1, 1000, () => now, 10);
    for (let i = 0; i < 10; i++) limiter.take(`k-${i}`);
    now = 5000;
    limiter.take('late');
    expect((limiter as unknown as { hits: Map<string, unknown> }).hits.size).toBe(1);
  });
});
