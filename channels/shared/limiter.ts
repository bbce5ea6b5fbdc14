import { setTimeout as sleep } from 'node:timers/promises';
import { Lru } from '../../bot/db/lru.js';

export interface SendLimits {
  /** Messages a second over all chats. */
  global: number;
  /** Messages a second in one chat. */
  perChat: number;
  /** Messages a chat may get at once before its rate applies (a reply of a few messages). */
  chatBurst: number;
}

/**
 * Buckets refill 10 % slower than the limit: our clock starts before a request reaches the
 * platform, whose own clock starts when it arrives, and network jitter must not turn into 429s.
 */
const MARGIN = 0.9;

/** A token bucket: `burst` tokens at most, refilled continuously at `rate` a second. */
class Bucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.last = now;
  }

  /** Milliseconds until a token is there. */
  waitMs(now: number): number {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) / this.rate) * 1000);
  }

  take(): void {
    this.tokens -= 1;
  }
}

/**
 * A platform's send limits, kept on this side so that 429s stay the exception: one bucket for
 * the whole bot and one per chat (the 10,000 most recent chats). A message takes a token from
 * both at the same moment, so that waiting for one never lets the other burst.
 */
export class SendLimiter {
  private readonly global: Bucket;
  private readonly chats = new Lru<string, Bucket>(10_000);

  constructor(
    private readonly limits: SendLimits,
    private readonly now: () => number = Date.now,
  ) {
    // A small global burst: after a quiet spell, the first second stays within the limit too.
    this.global = new Bucket(limits.global * MARGIN, Math.max(1, Math.floor(limits.global / 10)), now());
  }

  /** Waits until one more message may go to `chat`. */
  async acquire(chat: string): Promise<void> {
    let bucket = this.chats.get(chat);
    if (!bucket) {
      bucket = new Bucket(this.limits.perChat * MARGIN, this.limits.chatBurst, this.now());
      this.chats.set(chat, bucket);
    }
    for (;;) {
      const t = this.now();
      const wait = Math.max(this.global.waitMs(t), bucket.waitMs(t));
      if (wait === 0) {
        this.global.take();
        bucket.take();
        return;
      }
      await sleep(wait);
    }
  }
}
