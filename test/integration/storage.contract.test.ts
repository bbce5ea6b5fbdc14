import { MemoryStorage, type Storage } from 'botbuilder';
import { beforeAll, describe, expect, it } from 'vitest';
import { AppendLog, PRUNE_AGE_MS } from '../../bot/db/append-log.js';
import { CACHE_MS, MongoStorage } from '../../bot/db/mongo-storage.js';
import { monitoredConnection, useTestDb } from '../helpers/db.js';

/**
 * The same contract for every Storage: botbuilder's MemoryStorage is the reference, MongoStorage
 * runs against the real test server (embedded FerretDB or MONGODB_URI).
 */
const implementations: Array<[string, () => Promise<Storage>]> = [
  ['MemoryStorage (reference)', async () => new MemoryStorage()],
  ['MongoStorage', async () => new MongoStorage((await useTestDb('storage')).connection)],
];

describe.each(implementations)('Storage contract: %s', (_name, make) => {
  let storage: Storage;
  beforeAll(async () => {
    storage = await make();
  });

  it('reads nothing for unknown keys', async () => {
    expect(await storage.read(['nope', 'neither'])).toEqual({});
  });

  it('writes and reads back plain JSON with a fresh eTag', async () => {
    const value = { step: 2, answers: { firstName: 'Léa', sectors: ['numérique'] }, 'a.b': { $c: 1 } };
    await storage.write({ k1: value });
    const read = await storage.read(['k1']);
    expect(read.k1).toMatchObject(value);
    expect(typeof read.k1.eTag).toBe('string');
  });

  it('deletes', async () => {
    await storage.write({ gone: { x: 1 } });
    await storage.delete(['gone']);
    expect(await storage.read(['gone'])).toEqual({});
  });

  it('accepts a write with the current eTag and rejects one with a stale eTag', async () => {
    await storage.write({ k2: { n: 1 } });
    const first = await storage.read(['k2']);
    await storage.write({ k2: { ...first.k2, n: 2 } });
    await expect(storage.write({ k2: { ...first.k2, n: 3 } })).rejects.toThrow();
    expect((await storage.read(['k2'])).k2.n).toBe(2);
  });

  it('lets exactly one of many concurrent writers with the same eTag win', async () => {
    await storage.write({ k3: { n: 0 } });
    const base = (await storage.read(['k3'])).k3;
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) => storage.write({ k3: { ...base, n: i + 1 } })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const winner = results.findIndex((r) => r.status === 'fulfilled');
    expect((await storage.read(['k3'])).k3.n).toBe(winner + 1);
  });

  it('writes unconditionally with eTag "*"', async () => {
    await storage.write({ k4: { n: 1 } });
    await storage.write({ k4: { n: 5, eTag: '*' } });
    expect((await storage.read(['k4'])).k4.n).toBe(5);
  });
});

describe('MongoStorage across processes', () => {
  it('serves the other instance’s writes and refuses a write based on a stale cached read', async () => {
    const db = await useTestDb('storage2');
    const a = new MongoStorage(db.connection);
    const b = new MongoStorage(db.connection);
    await a.write({ shared: { n: 1 } });
    const readByB = (await b.read(['shared'])).shared;
    expect(readByB?.n).toBe(1);
    const readByA = (await a.read(['shared'])).shared;
    await b.write({ shared: { ...readByB, n: 2 } });
    // a's cache still holds n: 1 at the old revision: its write must conflict, then a re-read sees n: 2.
    await expect(a.write({ shared: { ...readByA, n: 3 } })).rejects.toThrow(/changed since it was read/);
    expect((await a.read(['shared'])).shared?.n).toBe(2);
  });

  it('trusts a cached revision only for a while: never long enough for the next one to be pruned', async () => {
    const db = await useTestDb('storage5');
    let clock = 0;
    const a = new MongoStorage(db.connection, undefined, { now: () => clock });
    const b = new MongoStorage(db.connection);
    await a.write({ k: { n: 0 } });
    expect((await a.read(['k'])).k).toMatchObject({ n: 0, eTag: '1' });
    // Another process writes 24 revisions: the second revision, the one after a's, is pruned.
    for (let n = 1; n <= 24; n++) {
      const current = (await b.read(['k'])).k;
      await b.write({ k: { ...current, n } });
    }
    await AppendLog.settled();
    clock += CACHE_MS;
    // Trusted, a's revision 1 would let it write revision 2 again, in a pruned slot: a fork.
    const fresh = (await a.read(['k'])).k;
    expect(fresh).toMatchObject({ n: 24, eTag: '25' });
    await a.write({ k: { ...fresh, n: 25 } });
    expect((await new MongoStorage(db.connection).read(['k'])).k).toMatchObject({ n: 25, eTag: '26' });
  });

  it('refuses a write based on a stale cached revision however many revisions others wrote meanwhile', async () => {
    const db = await useTestDb('storage6');
    const a = new MongoStorage(db.connection, undefined, { now: () => 0 });
    const b = new MongoStorage(db.connection);
    await a.write({ k: { n: 0 } });
    const stale = (await a.read(['k'])).k;
    // Another process writes 24 revisions at once (a burst of photos, each a turn): the revision
    // after a's is still stored, young as it is.
    for (let n = 1; n <= 24; n++) {
      const current = (await b.read(['k'])).k;
      await b.write({ k: { ...current, n } });
    }
    await AppendLog.settled();
    // a still trusts its revision 1 (its clock has not moved): its write must conflict, not fork.
    await expect(a.write({ k: { ...stale, n: 99 } })).rejects.toThrow(/changed since it was read/);
    expect((await new MongoStorage(db.connection).read(['k'])).k).toMatchObject({ n: 24, eTag: '25' });
  });

  it('finds the last revision from the stored head when it has no hint of its own', async () => {
    const db = await useTestDb('storage3');
    const writer = new MongoStorage(db.connection);
    for (let i = 1; i <= 40; i++) {
      const current = (await writer.read(['k'])).k;
      await writer.write({ k: { ...(current ?? {}), n: i } });
    }
    const fresh = new MongoStorage(db.connection);
    expect((await fresh.read(['k'])).k).toMatchObject({ n: 40, eTag: '40' });
    // A log shorter than the head's step has no stored head: it is found from its first entry.
    await writer.write({ short: { n: 1 } });
    await writer.write({ short: { n: 2 } });
    expect((await new MongoStorage(db.connection).read(['short'])).short).toMatchObject({ n: 2, eTag: '2' });
  });

  it('takes a "nothing stored yet" hint without reading, and recovers when it was wrong', async () => {
    const db = await useTestDb('storage4');
    const hinted = new MongoStorage(db.connection);
    hinted.markEmpty('new');
    expect(await hinted.read(['new'])).toEqual({});
    await hinted.write({ new: { n: 1, eTag: '0' } });
    expect((await hinted.read(['new'])).new).toMatchObject({ n: 1, eTag: '1' });

    // Another instance wrote first: the wrong hint ends in a conflict, and the next read is true.
    await new MongoStorage(db.connection).write({ raced: { n: 1 } });
    hinted.markEmpty('raced');
    expect(await hinted.read(['raced'])).toEqual({});
    await expect(hinted.write({ raced: { n: 9, eTag: '0' } })).rejects.toThrow(/changed since it was read/);
    expect((await hinted.read(['raced'])).raced).toMatchObject({ n: 1, eTag: '1' });
  });
});

describe('AppendLog pruning', () => {
  it('keeps the recent entries of a pruned log and removes the old ones', async () => {
    const db = await useTestDb('applog');
    let clock = Date.now();
    const log = new AppendLog<{ n: number }>(db.connection, 'prune_test', {
      headEvery: 4,
      prune: true,
      now: () => clock,
    });
    for (let n = 1; n <= 20; n++) {
      await log.append('k', { n });
      clock += PRUNE_AGE_MS;
      await log.pruneDue();
    }
    await AppendLog.settled();
    clock += PRUNE_AGE_MS;
    await log.pruneDue();
    await AppendLog.settled();
    for (const gone of [1, 4, 8, 12, 15]) expect(await log.get('k', gone)).toBeUndefined();
    for (const kept of [16, 17, 20]) expect(await log.get('k', kept)).toEqual({ n: kept });
    const fresh = new AppendLog<{ n: number }>(db.connection, 'prune_test', { headEvery: 4, prune: true });
    expect(await fresh.last('k')).toEqual({ seq: 20, value: { n: 20 } });
  });

  it('moves its head and prunes after the append returns: a reply does not wait for them', async () => {
    const { conn, commands, tick, close } = await monitoredConnection('applog_later');
    try {
      let clock = Date.now();
      const log = new AppendLog<{ n: number }>(conn, 'later_test', {
        headEvery: 4,
        prune: true,
        now: () => clock,
      });
      for (let n = 1; n <= 7; n++) await log.append('k', { n });
      await AppendLog.settled();
      commands.length = 0;
      await log.append('k', { n: 8 });
      const returned = tick();
      await AppendLog.settled();
      const after = commands.filter((c) => c.name !== 'insert');
      expect(after.map((c) => `${c.name} ${c.collection}`)).toEqual(['update later_test_heads']);
      for (const c of after) expect(c.answered).toBeGreaterThan(returned);
      // The entries below the previous head go once they have aged (see PRUNE_AGE_MS): one command.
      expect(await log.get('k', 3)).toEqual({ n: 3 });
      commands.length = 0;
      clock += PRUNE_AGE_MS;
      await log.pruneDue();
      await AppendLog.settled();
      expect(commands.map((c) => `${c.name} ${c.collection}`)).toEqual(['delete later_test']);
      expect(await log.get('k', 3)).toBeUndefined();
    } finally {
      await close();
    }
  });
});
