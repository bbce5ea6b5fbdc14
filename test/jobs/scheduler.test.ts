import { beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../bot/db/database.js';
import { CARDS_KEPT_MS, DELIVERIES_KEPT_MS, MARKS_KEPT_MS, retentionJob } from '../../bot/jobs/retention.js';
import { Scheduler } from '../../bot/jobs/scheduler.js';
import { claimModel } from '../../models/claim.js';
import { deliveryModel } from '../../models/delivery.js';
import { inboundMarkModel } from '../../models/inbound-mark.js';
import { keyboardModel } from '../../models/keyboard.js';
import { linkCodeModel } from '../../models/link-code.js';
import { telegramUpdateModel } from '../../models/telegram.js';
import { silentLog, useTestDb } from '../helpers/db.js';

let db: Database;

beforeAll(async () => {
  db = await useTestDb('jobs');
});

describe('scheduled jobs', () => {
  it('run once per period across processes', async () => {
    let now = Date.parse('2026-11-27T10:00:00Z');
    const clock = () => now;
    const runs: string[] = [];
    const job = (who: string) => ({ name: 'count', everyMs: 60_000, run: async () => void runs.push(who) });
    const a = new Scheduler(db.connection, silentLog, clock);
    const b = new Scheduler(db.connection, silentLog, clock);
    await Promise.all([a.tick(job('a')), b.tick(job('b')), a.tick(job('a'))]);
    expect(runs).toHaveLength(1);
    now += 30_000;
    await Promise.all([a.tick(job('a')), b.tick(job('b'))]);
    expect(runs).toHaveLength(1);
    now += 30_000;
    await Promise.all([b.tick(job('b')), a.tick(job('a'))]);
    expect(runs).toHaveLength(2);
  });

  it('forget old dedupe marks, processed updates, dead link codes and past job claims, and nothing else', async () => {
    const now = Date.now();
    const old = new Date(now - MARKS_KEPT_MS - 60_000);
    const fresh = new Date(now - 60_000);
    const conn = db.connection;
    await inboundMarkModel(conn).collection.insertMany([
      { _id: 'old-mark' as never, at: old },
      { _id: 'fresh-mark' as never, at: fresh },
    ]);
    await telegramUpdateModel(conn).collection.insertMany([
      { _id: 1 as never, chat: '1', state: 'done', at: old },
      { _id: 2 as never, chat: '1', state: 'pending', raw: '{}', at: old },
      { _id: 3 as never, chat: '1', state: 'done', at: fresh },
    ]);
    await linkCodeModel(conn).create([
      { _id: 'dead', personId: 'p', expiresAt: new Date(now - 2 * 86_400_000) },
      { _id: 'live', personId: 'p', expiresAt: new Date(now + 600_000) },
    ]);
    await claimModel(conn).collection.insertMany([
      { _id: 'job|x|1' as never, at: old },
      { _id: 'seat|mentor|1' as never, at: old },
    ]);
    await retentionJob(conn, silentLog).run();
    expect((await inboundMarkModel(conn).find().lean()).map((d) => d._id)).toEqual(['fresh-mark']);
    expect((await telegramUpdateModel(conn).find().sort({ _id: 1 }).lean()).map((d) => d._id)).toEqual([
      2, 3,
    ]);
    expect((await linkCodeModel(conn).find().lean()).map((d) => d._id)).toEqual(['live']);
    const claims = (await claimModel(conn).find().lean()).map((d) => d._id);
    expect(claims).toContain('seat|mentor|1');
    expect(claims).not.toContain('job|x|1');
  });

  it('forget finished deliveries after 30 days, with their claims, and keep pending ones', async () => {
    const now = Date.now();
    const old = new Date(now - DELIVERIES_KEPT_MS - 60_000);
    const recent = new Date(now - DELIVERIES_KEPT_MS + 3600_000);
    const conn = db.connection;
    const delivery = (id: string, status: string, createdAt: Date) => ({
      _id: id as never,
      to: { personId: 'p' },
      activities: '[]',
      status,
      attempts: 1,
      nextAt: createdAt,
      createdAt,
    });
    await deliveryModel(conn).collection.insertMany([
      delivery('old-sent', 'sent', old),
      delivery('old-failed', 'failed', old),
      delivery('old-stopped', 'stopped', old),
      delivery('old-pending', 'pending', old),
      delivery('recent-sent', 'sent', recent),
    ]);
    await claimModel(conn).collection.insertMany([
      { _id: 'delivery|old-sent|1' as never, at: old },
      { _id: 'delivery|recent-sent|1' as never, at: recent },
    ]);
    await retentionJob(conn, silentLog).run();
    const kept = (await deliveryModel(conn).find().lean()).map((d) => d._id).sort();
    expect(kept).toEqual(['old-pending', 'recent-sent']);
    const claims = (await claimModel(conn).find().lean()).map((d) => d._id);
    expect(claims).toContain('delivery|recent-sent|1');
    expect(claims).not.toContain('delivery|old-sent|1');
  });

  it("forget standalone cards' keyboards after 30 days, and never a chat's question keyboard", async () => {
    const conn = db.connection;
    const old = new Date(Date.now() - CARDS_KEPT_MS - 60_000);
    const keyboard = (_id: string, at: Date) => ({ _id, key: 'k', buttons: [], messageIds: [], at });
    await keyboardModel(conn).collection.insertMany([
      keyboard('telegram|42', old),
      keyboard('telegram|42|oldcard', old),
      keyboard('slack|D1|newcard', new Date()),
    ] as never[]);
    await retentionJob(conn, silentLog).run();
    const kept = (await keyboardModel(conn).find().lean()).map((d) => d._id).sort();
    expect(kept).toEqual(['slack|D1|newcard', 'telegram|42']);
  });
});
