import type { Connection } from 'mongoose';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { markAttempt } from '../../models/inbound-mark.js';
import { useTestDb } from '../helpers/db.js';

let conn: Connection;

beforeAll(async () => {
  conn = (await useTestDb('marks')).connection;
});

/** `markAttempt` with the clock `ms` ahead. */
async function attemptLater(id: string, freshMs: number, ms: number, max?: number): Promise<boolean> {
  const clock = vi.spyOn(Date, 'now').mockReturnValue(Date.now() + ms);
  try {
    return await markAttempt(conn, id, freshMs, max);
  } finally {
    clock.mockRestore();
  }
}

describe('markAttempt', () => {
  it('gives one attempt at a time, and the next once the last has aged', async () => {
    const id = 'test|attempts';
    const first = await Promise.all([markAttempt(conn, id, 60_000), markAttempt(conn, id, 60_000)]);
    expect(first.sort()).toEqual([false, true]);
    // Still fresh 30 s on; taken again 61 s on, then fresh again.
    expect(await attemptLater(id, 60_000, 30_000)).toBe(false);
    expect(await attemptLater(id, 60_000, 61_000)).toBe(true);
    expect(await attemptLater(id, 60_000, 62_000)).toBe(false);
    expect(
      await conn
        .collection('inbound_marks')
        .countDocuments({ _id: { $in: [`${id}|1`, `${id}|2`, `${id}|3`] } as never }),
    ).toBe(2);
  });

  it('gives no attempt after the last one allowed', async () => {
    const id = 'test|exhausted';
    expect(await markAttempt(conn, id, 1_000, 2)).toBe(true);
    expect(await attemptLater(id, 1_000, 2_000, 2)).toBe(true);
    expect(await attemptLater(id, 1_000, 4_000, 2)).toBe(false);
  });
});
