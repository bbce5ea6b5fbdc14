import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Polls `check` until it holds; after `timeoutMs`, throws `fail(lastError)`. A check that throws
 * (reading something that is not there yet) counts as not yet.
 */
export async function pollUntil(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  fail: (lastError: unknown) => Error,
  everyMs = 10,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) throw fail(lastError);
    await sleep(everyMs);
  }
}
