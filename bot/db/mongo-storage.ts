import type { Storage, StoreItems } from 'botbuilder';
import type { Connection } from 'mongoose';
import { ConflictError } from '../errors.js';
import type { Logger } from '../log.js';
import { AppendLog } from './append-log.js';
import { Lru } from './lru.js';

type Item = Record<string, unknown>;

/**
 * botbuilder's Storage on MongoDB. Each key is an append-only log of revisions (bot/db/append-log.ts);
 * the eTag is the revision number. A write carrying an eTag appends the next revision and throws a
 * ConflictError when another writer appended it first; `*` or no eTag writes unconditionally
 * (botbuilder's contract). Between 8 and 16 recent revisions are kept, older ones are removed.
 *
 * Reads are served from a bounded cache of the last revision this process saw. A stale entry
 * (another process wrote since) cannot do harm: the write based on it conflicts, the entry is
 * dropped, and the caller's retry reads the database.
 */
export class MongoStorage implements Storage {
  private readonly log: AppendLog<Item>;
  private readonly cache: Lru<string, { rev: number; json: string }>;

  constructor(conn: Connection, log?: Logger, cacheSize = 5000) {
    this.log = new AppendLog<Item>(conn, 'bot_state', {
      headEvery: 8,
      prune: true,
      onError: (err) => log?.warn({ err }, 'state log: moving the head or pruning failed'),
    });
    this.cache = new Lru(cacheSize);
  }

  async read(keys: string[]): Promise<StoreItems> {
    const items: StoreItems = {};
    await Promise.all(
      keys.map(async (key) => {
        let cached = this.cache.get(key);
        if (cached?.rev === 0) return;
        if (!cached) {
          const last = await this.log.last(key);
          if (!last) return;
          cached = { rev: last.seq, json: JSON.stringify(last.value) };
          this.cache.set(key, cached);
        }
        items[key] = { ...JSON.parse(cached.json), eTag: String(cached.rev) };
      }),
    );
    return items;
  }

  /**
   * A key known to have nothing stored yet (its owner was just created): the next read returns
   * nothing without reading. Only a hint: were it wrong, the write would conflict and the retry
   * read the database.
   */
  markEmpty(key: string): void {
    this.cache.set(key, { rev: 0, json: '' });
    this.log.markEmpty(key);
  }

  async write(changes: StoreItems): Promise<void> {
    await Promise.all(Object.entries(changes).map(([key, item]) => this.writeOne(key, item)));
  }

  private async writeOne(key: string, item: Item): Promise<void> {
    const { eTag, ...data } = item;
    let rev: number;
    if (eTag === undefined || eTag === '*') {
      rev = (await this.log.append(key, data)).seq;
    } else {
      rev = Number(eTag) + 1;
      if (!Number.isInteger(rev) || !(await this.log.tryAppend(key, rev, data))) {
        this.cache.delete(key);
        throw new ConflictError(`state ${key} changed since it was read`, 'storage.write');
      }
    }
    this.cache.set(key, { rev, json: JSON.stringify(data) });
    // The writer may save again in the same turn: give it the new revision.
    item.eTag = String(rev);
  }

  async delete(keys: string[]): Promise<void> {
    await Promise.all(
      keys.map(async (key) => {
        this.cache.delete(key);
        await this.log.drop(key);
      }),
    );
  }
}
