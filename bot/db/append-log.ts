import { setTimeout as sleep } from 'node:timers/promises';
import type { Connection } from 'mongoose';
import { type LogEntryDoc, logModels } from '../../models/log-entry.js';
import { isDuplicateKey } from '../errors.js';
import { GroupCommit } from './group-commit.js';
import { Lru } from './lru.js';

export interface Entry<T> {
  seq: number;
  value: T;
}

/**
 * How long after the head passes them entries are pruned (they are at least that old then), and
 * how long this process trusts its hint of a log's end (HINT_MS), or any cache of an entry built
 * on it (a state revision, CACHE_MS in mongo-storage.ts): shorter than PRUNE_AGE_MS. A write
 * based on a stale entry then always meets the entry after it, still stored, and conflicts,
 * however fast others write meanwhile; pruned, that slot would take the write and fork the log.
 * (Deleting by age instead would filter on a field besides `_id`: a full scan on FerretDB.)
 */
export const PRUNE_AGE_MS = 20_000;
const HINT_MS = 10_000;

/**
 * Append-only logs, one per key, with contiguous sequence numbers from 1. Every read and write is
 * by `_id`; the head of a log is found from a hint (this process's cache, else the heads
 * collection) by probing forward, since the hint may lag but never runs ahead.
 */
export class AppendLog<T> {
  private readonly entries;
  private readonly heads;
  /** key -> the last seq this process saw, and when. */
  private readonly hints: Lru<string, { seq: number; at: number }>;
  private readonly now: () => number;

  private readonly headEvery: number;
  private readonly prune: boolean;
  /** Prunes waiting for their entries to age: `key`'s entries from `from` to below `below`. */
  private readonly prunes: Array<{ key: string; from: number; below: number; due: number }> = [];
  private pruneTimer?: NodeJS.Timeout;
  private readonly onError: (err: unknown) => void;

  /**
   * The stored head moves every `headEvery` entries. With `prune`, entries below the previous
   * head are removed when it moves, so a log keeps between `headEvery` and `2 × headEvery` entries.
   * Both happen after the append returns (see `settled`); `onError` hears of their failures.
   */
  constructor(
    conn: Connection,
    collection: string,
    opts: {
      headEvery?: number;
      prune?: boolean;
      cacheSize?: number;
      onError?: (err: unknown) => void;
      now?: () => number;
    } = {},
  ) {
    this.headEvery = opts.headEvery ?? 16;
    this.prune = opts.prune ?? false;
    this.onError = opts.onError ?? (() => {});
    this.hints = new Lru(opts.cacheSize ?? 20_000);
    this.now = opts.now ?? Date.now;
    const m = logModels(conn, collection);
    this.entries = m.entries;
    this.heads = m.heads;
  }

  static id(key: string, seq: number): string {
    return `${key}#${seq}`;
  }

  /**
   * The last seq this process saw of `key`; of a pruned log, only if seen within HINT_MS (the
   * entry after an older one may be pruned, and a probe from it would stop short). Past that, the
   * stored head is read: a few more reads for a log idle that long.
   */
  private hint(key: string): number | undefined {
    const hint = this.hints.get(key);
    if (hint && (!this.prune || this.now() - hint.at < HINT_MS)) return hint.seq;
    if (hint) this.hints.delete(key);
    return undefined;
  }

  private remember(key: string, seq: number): void {
    this.hints.set(key, { seq, at: this.now() });
  }

  async get(key: string, seq: number): Promise<T | undefined> {
    if (seq < 1) return undefined;
    const doc = await this.entries.findById(AppendLog.id(key, seq)).lean<LogEntryDoc>();
    return doc ? (JSON.parse(doc.json) as T) : undefined;
  }

  /** The last entry of the log, or undefined when it is empty. */
  async last(key: string): Promise<Entry<T> | undefined> {
    const cached = this.hint(key);
    const fromCache = cached === undefined ? undefined : await this.forwardFrom(key, cached);
    if (fromCache) return fromCache;
    // No hint in this process, or it pointed at a pruned entry: start from the stored head. Entries
    // at and above the stored head are never pruned; a head read just before it moved may point at
    // a pruned one, so read it again.
    for (let attempt = 0; attempt < 5; attempt++) {
      const head = (await this.heads.findById(key).lean<{ seq: number }>())?.seq ?? 0;
      const found = await this.forwardFrom(key, head);
      if (found || head === 0) return found;
    }
    throw new Error(`log ${key}: its stored head keeps pointing at pruned entries`);
  }

  /** From a seq known to exist (or 0), probes forward to the end. Undefined if the start is gone. */
  private async forwardFrom(key: string, start: number): Promise<Entry<T> | undefined> {
    let seq = start;
    let value = seq > 0 ? await this.get(key, seq) : undefined;
    if (seq > 0 && value === undefined) return undefined;
    for (;;) {
      const next = await this.get(key, seq + 1);
      if (next === undefined) break;
      seq++;
      value = next;
    }
    if (seq > 0) this.remember(key, seq);
    return value === undefined ? undefined : { seq, value };
  }

  /** Entries after `seq`, oldest first, at most `limit`. */
  async after(key: string, seq: number, limit = 100): Promise<Array<Entry<T>>> {
    const out: Array<Entry<T>> = [];
    for (let s = seq + 1; out.length < limit; s++) {
      const value = await this.get(key, s);
      if (value === undefined) break;
      out.push({ seq: s, value });
    }
    return out;
  }

  /**
   * Writes entry `seq` if nobody did: true when this call wrote it, false when it already existed
   * (another writer won the race).
   */
  async tryAppend(key: string, seq: number, value: T): Promise<boolean> {
    try {
      // The driver's insert, not a mongoose document: this is the hottest write of a turn.
      await GroupCommit.of(this.entries.collection).insert({
        _id: AppendLog.id(key, seq) as never,
        json: JSON.stringify(value),
        at: new Date(this.now()),
      });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      this.hints.delete(key);
      return false;
    }
    this.remember(key, seq);
    // The head is a hint and pruning is housekeeping: neither holds up the writer (a turn's reply).
    if (seq % this.headEvery === 0) AppendLog.inBackground(this.moveHead(key, seq), this.onError);
    return true;
  }

  private static readonly background = new Set<Promise<void>>();

  private static inBackground(work: Promise<void>, onError: (err: unknown) => void): void {
    const tracked = work
      .catch((err) => {
        try {
          onError(err);
        } catch {}
      })
      .finally(() => AppendLog.background.delete(tracked));
    AppendLog.background.add(tracked);
  }

  /**
   * Resolves once the heads moved and the entries pruned in the background are written, those of
   * every log of this process: before the connection closes. A failure there costs nothing but a
   * lagging hint or entries left unpruned; it goes to the log's `onError`. With `timeoutMs`,
   * resolves false if some are still pending then.
   */
  static async settled(timeoutMs = Number.POSITIVE_INFINITY): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (AppendLog.background.size > 0) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      const all = Promise.all(AppendLog.background);
      // An unref'd timer: it does not keep the process alive once the work is done.
      await (Number.isFinite(left) ? Promise.race([all, sleep(left, undefined, { ref: false })]) : all);
    }
    return true;
  }

  private async moveHead(key: string, seq: number): Promise<void> {
    await GroupCommit.of(this.heads.collection)
      .updateById(key, { $max: { seq } }, true)
      .catch((err) => {
        if (!isDuplicateKey(err)) throw err;
      });
    if (!this.prune) return;
    // Strictly below the previous head: a reader that has just read that head still finds it.
    // Once PRUNE_AGE_MS has passed (see there): every one of them was written before now.
    const previous = seq - this.headEvery;
    this.prunes.push({
      key,
      from: previous - this.headEvery,
      below: previous,
      due: this.now() + PRUNE_AGE_MS,
    });
    this.pruneTimer ??= setInterval(() => {
      AppendLog.inBackground(this.pruneDue(), this.onError);
    }, PRUNE_AGE_MS / 4).unref();
  }

  /**
   * Prunes what has waited long enough (a timer calls it; tests too). Sent together: the group
   * commit makes them few commands. Prunes still waiting when the process stops are not done:
   * a few old entries stay, harmlessly.
   */
  async pruneDue(): Promise<void> {
    const now = this.now();
    const due: Promise<void>[] = [];
    for (let next = this.prunes[0]; next && next.due <= now; next = this.prunes[0]) {
      this.prunes.shift();
      for (let s = next.below - 1; s >= next.from && s >= 1; s--) due.push(this.remove(next.key, s));
    }
    await Promise.all(due);
  }

  /**
   * Appends at the end, whatever the end is now, and returns the seq written. `value` may be built
   * from the seq (an id that carries it). The end comes from this process's hint when it has one:
   * no read at all in the common case, a retry when another process appended meanwhile.
   */
  async append(key: string, value: T | ((seq: number) => T)): Promise<Entry<T>> {
    for (let attempt = 0; attempt < 50; attempt++) {
      const seq = (this.hint(key) ?? (await this.last(key))?.seq ?? 0) + 1;
      const built = typeof value === 'function' ? (value as (seq: number) => T)(seq) : value;
      if (await this.tryAppend(key, seq, built)) return { seq, value: built };
    }
    throw new Error(`could not append to log ${key}: too much contention`);
  }

  /** A new log starts empty: lets a creator skip the first probe. */
  markEmpty(key: string): void {
    this.remember(key, 0);
  }

  /** Removes one entry (older revisions that are no longer needed). */
  async remove(key: string, seq: number): Promise<void> {
    if (seq >= 1) await GroupCommit.of(this.entries.collection).deleteById(AppendLog.id(key, seq));
  }

  /** Forgets a whole log: its entries (those not pruned already), and the head. */
  async drop(key: string): Promise<void> {
    // A head moving in the background would write the head again after it is removed.
    await AppendLog.settled();
    const last = (await this.last(key))?.seq ?? 0;
    // Every seq, pruned or not: a burst may have left entries older than the pruning window (by id:
    // a query on the key's prefix would scan the collection on FerretDB).
    const entries: Promise<void>[] = [];
    for (let s = last; s >= 1; s--) entries.push(this.remove(key, s));
    await Promise.all(entries);
    await this.heads.deleteOne({ _id: key });
    this.hints.delete(key);
  }
}
