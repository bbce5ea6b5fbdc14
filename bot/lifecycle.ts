import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Counts work in flight (HTTP requests, turns processed after an early ack) so that a graceful
 * shutdown can wait for it, up to a limit.
 */
export class InFlight {
  private count = 0;
  private idle: Array<() => void> = [];

  get size(): number {
    return this.count;
  }

  begin(): () => void {
    this.count++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.count--;
      if (this.count === 0) for (const wake of this.idle.splice(0)) wake();
    };
  }

  /** Runs `work` as tracked work; errors are the caller's to handle. */
  async track<T>(work: () => Promise<T>): Promise<T> {
    const end = this.begin();
    try {
      return await work();
    } finally {
      end();
    }
  }

  /** Resolves true when nothing is in flight, false when `timeoutMs` passed first. */
  async drain(timeoutMs: number): Promise<boolean> {
    const settled = this.settled().then(() => true);
    if (!Number.isFinite(timeoutMs)) return settled;
    // An unref'd timer: it does not keep the process alive once the work is done.
    return Promise.race([settled, sleep(timeoutMs, false, { ref: false })]);
  }

  /** Resolves when nothing is in flight (work started meanwhile included). */
  async settled(): Promise<void> {
    if (this.count === 0) return;
    await new Promise<void>((resolve) => this.idle.push(resolve));
  }
}

/**
 * Runs `work` until it succeeds or `signal` aborts: after a failure (told to `failed`), waits
 * `firstMs`, doubled each time up to `maxMs`.
 */
export async function retryUntilDone(
  work: () => Promise<unknown>,
  opts: {
    firstMs: number;
    maxMs: number;
    signal: AbortSignal;
    failed(err: unknown, retryInMs: number): void;
  },
): Promise<void> {
  for (let delay = opts.firstMs; !opts.signal.aborted; delay = Math.min(delay * 2, opts.maxMs)) {
    try {
      await work();
      return;
    } catch (err) {
      opts.failed(err, delay);
      await sleep(delay, undefined, { signal: opts.signal }).catch(() => {});
    }
  }
}
