import type { Storage, StoreItems } from 'botbuilder';
import type { Connection } from 'mongoose';
import { ConflictError } from '../errors.js';
import type { Logger } from '../log.js';
import { AppendLog } from './append-log.js';
import { Lru } from './lru.js';

type Item = Record<string, unknown>;

/**
 * How long a revision read or written here is trusted without reading: shorter than the age at
 * which revisions may be pruned (PRUNE_AGE_MS), so that a write based on a stale one always meets
 * the revision after it and is refused (see MongoStorage).
 */
export const CACHE_MS = 5000;

/**
 * botbuilder's Storage on MongoDB. Each key is an append-only log of revisions (bot/db/append-log.ts);
 * the eTag is the revision number. A write carrying an eTag appends the next revision and throws a
 * ConflictError when another writer appended it first; `*` or no eTag writes unconditionally
 * (botbuilder's contract). The recent revisions are kept (at least 8, and all those of the last
 * PRUNE_AGE_MS), older ones are removed.
 *
 * Reads are served from a bounded cache of the last revision this process saw, for CACHE_MS. A
 * stale entry (another process wrote since) cannot do harm while the revision after it is still
 * stored: the write based on it conflicts, the entry is dropped, and the caller's retry reads the
 * database. That revision was written after the entry was cached, so less than CACHE_MS ago, and
 * pruning leaves revisions younger than PRUNE_AGE_MS alone: however many revisions others write
 * meanwhile (a burst of photos, each a turn), a write based on a stale entry never lands in a
 * pruned slot, which would fork the log.
 */
export class MongoStorage implements Storage {
  private readonly log: AppendLog<Item>;
  private readonly cache: Lru<string, { rev: number; json: string; at: number }>;
  private readonly now: () => number;

  constructor(conn: Connection, log?: Logger, opts: { cacheSize?: number; now?: () => number } = {}) {
    this.log = new AppendLog<Item>(conn, 'bot_state', {
      headEvery: 8,
      prune: true,
      now: opts.now,
      onError: (err) => log?.warn({ err }, 'state log: moving the head or pruning failed'),
    });
    this.cache = new Lru(opts.cacheSize ?? 5000);
    this.now = opts.now ?? Date.now;
  }

  /** The revision this process last saw of `key`, if seen within CACHE_MS. */
  private cached(key: string): { rev: number; json: string } | undefined {
    const entry = this.cache.get(key);
    if (entry && this.now() - entry.at < CACHE_MS) return entry;
    if (entry) this.cache.delete(key);
    return undefined;
  }

  private remember(key: string, rev: number, json: string): { rev: number; json: string } {
    const entry = { rev, json, at: this.now() };
    this.cache.set(key, entry);
    return entry;
  }

  async read(keys: string[]): Promise<StoreItems> {
    const items: StoreItems = {};
    await Promise.all(
      keys.map(async (key) => {
        let cached = this.cached(key);
        if (cached?.rev === 0) return;
        if (!cached) {
          const last = await this.log.last(key);
          if (!last) return;
          cached = this.remember(key, last.seq, JSON.stringify(last.value));
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
    this.remember(key, 0, '');
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
    this.remember(key, rev, JSON.stringify(data));
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
