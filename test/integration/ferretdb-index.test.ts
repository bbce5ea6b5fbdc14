import { describe, expect, it } from 'vitest';
import { useTestDb } from '../helpers/db.js';

/**
 * Every hot read and write of Tandem is by `_id` (README, "Storage"). On the embedded FerretDB that
 * is only an index search with our patch of its `_id` lookup (bot/db/ferretdb.ts); unpatched, the
 * plan is "SCAN <table>" and throughput falls as the data grows.
 */
describe('lookups by _id use an index', () => {
  it('finds, updates and deletes by _id without scanning the collection', async () => {
    const db = await useTestDb('idindex');
    const c = db.connection.collection<{ _id: string; n: number }>('lookups');
    await c.insertMany(Array.from({ length: 50 }, (_, n) => ({ _id: `doc-${n}`, n })));
    const explained = (await c.find({ _id: 'doc-7' }).explain()) as Record<string, unknown>;
    const plan = JSON.stringify(explained.queryPlanner);
    const server = explained.serverInfo as { ferretdbVersion?: string } | undefined;
    if (server?.ferretdbVersion) {
      expect(plan).toMatch(/SEARCH \S+ USING INDEX \S+__id_/);
      expect(plan).not.toMatch(/SCAN /);
    } else {
      expect(plan).not.toMatch(/COLLSCAN/);
    }
    // The same lookup serves updates and deletes: check they hit the right document.
    await c.updateOne({ _id: 'doc-7' }, { $set: { n: 700 } });
    await c.deleteOne({ _id: 'doc-8' });
    expect(await c.findOne({ _id: 'doc-7' })).toEqual({ _id: 'doc-7', n: 700 });
    expect(await c.findOne({ _id: 'doc-8' })).toBeNull();
    expect(await c.countDocuments()).toBe(49);
  });
});
