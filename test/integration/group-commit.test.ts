import mongoose, { type Connection, type mongo } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GroupCommit } from '../../bot/db/group-commit.js';
import { isDuplicateKey } from '../../bot/errors.js';
import { freshDbUri, monitoredConnection, type SeenCommand } from '../helpers/db.js';

/** Group commit against the real test server, counting the commands that reach it. */
describe('group commit of single-document writes', () => {
  let conn: Connection;
  let commands: SeenCommand[];
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ conn, commands, close } = await monitoredConnection('group'));
  });
  afterAll(() => close());

  const collection = (name: string) => conn.collection(name) as unknown as mongo.Collection;
  const sent = (name: string, collection: string) =>
    commands
      .filter((c) => c.name === name && c.collection === collection)
      .map(({ name, collection, docs }) => ({ name, collection, docs }));

  it('sends concurrent inserts as fewer commands, and gives each caller its own duplicate key', async () => {
    const c = collection('g_insert');
    await c.insertMany(Array.from({ length: 10 }, (_, i) => ({ _id: `taken-${i}` }) as mongo.Document));
    commands.length = 0;
    const ids = [
      ...Array.from({ length: 40 }, (_, i) => `new-${i}`),
      ...Array.from({ length: 10 }, (_, i) => `taken-${i}`),
    ];
    const results = await Promise.allSettled(ids.map((_id) => GroupCommit.of(c).insert({ _id, n: 1 })));

    const rejected = ids.filter((_, i) => results[i]?.status === 'rejected');
    expect(rejected).toEqual(ids.filter((id) => id.startsWith('taken-')));
    for (const r of results) if (r.status === 'rejected') expect(isDuplicateKey(r.reason)).toBe(true);
    expect(await c.countDocuments({ n: 1 })).toBe(40);
    const inserts = sent('insert', 'g_insert');
    expect(inserts.reduce((sum, x) => sum + x.docs, 0)).toBe(50);
    expect(inserts.length).toBeLessThan(10);
  });

  it('lets the first of two inserts with one _id in the same batch win', async () => {
    const c = collection('g_same');
    const [a, b] = await Promise.allSettled([
      GroupCommit.of(c).insert({ _id: 'x', by: 'a' }),
      GroupCommit.of(c).insert({ _id: 'x', by: 'b' }),
    ]);
    expect(a?.status).toBe('fulfilled');
    expect(b?.status === 'rejected' && isDuplicateKey(b.reason)).toBe(true);
    expect(await c.findOne({ _id: 'x' } as unknown as mongo.Filter<mongo.Document>)).toMatchObject({
      by: 'a',
    });
  });

  it('sends a write alone as the plain command, with the driver error', async () => {
    const c = collection('g_alone');
    await GroupCommit.of(c).insert({ _id: 'one' });
    commands.length = 0;
    const err = await GroupCommit.of(c)
      .insert({ _id: 'one' })
      .catch((e: unknown) => e);
    expect(isDuplicateKey(err)).toBe(true);
    expect(sent('insert', 'g_alone')).toEqual([{ name: 'insert', collection: 'g_alone', docs: 1 }]);
  });

  it('groups updates (with upsert) and deletes by _id', async () => {
    const c = collection('g_update');
    const group = GroupCommit.of(c);
    await Promise.all(Array.from({ length: 20 }, (_, i) => group.insert({ _id: `d-${i}` })));
    commands.length = 0;
    await Promise.all([
      ...Array.from({ length: 20 }, (_, i) => group.updateById(`h-${i % 5}`, { $max: { seq: i } }, true)),
      ...Array.from({ length: 20 }, (_, i) => group.deleteById(`d-${i}`)),
    ]);
    const heads = await c.find({ seq: { $exists: true } }).toArray();
    expect(heads.map((h) => [h._id, h.seq]).sort()).toEqual([
      ['h-0', 15],
      ['h-1', 16],
      ['h-2', 17],
      ['h-3', 18],
      ['h-4', 19],
    ]);
    expect(
      await c.countDocuments({ _id: { $regex: /^d-/ } } as unknown as mongo.Filter<mongo.Document>),
    ).toBe(0);
    expect(sent('update', 'g_update').length).toBeLessThan(20);
    expect(sent('delete', 'g_update').length).toBeLessThan(20);
  });

  it('rejects every write of a command that fails as a whole', async () => {
    const other = await mongoose.createConnection(freshDbUri('group_closed')).asPromise();
    const c = other.collection('g_closed') as unknown as mongo.Collection;
    await other.close(true);
    const results = await Promise.allSettled([
      GroupCommit.of(c).insert({ _id: 'a' }),
      GroupCommit.of(c).insert({ _id: 'b' }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    for (const r of results) if (r.status === 'rejected') expect(isDuplicateKey(r.reason)).toBe(false);
  });
});
