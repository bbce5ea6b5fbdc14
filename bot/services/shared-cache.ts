import type { Connection } from 'mongoose';
import { type VersionDoc, versionModel } from '../../models/version.js';

/** A value of a moment: pending until built, then `ready`. */
interface Entry<T> {
  at: number;
  /** The shared version (see `invalidate`) read before it was built. */
  version: number;
  value: Promise<T>;
  ready?: T;
}

/**
 * A value built from whole collections (the mentor index), kept `ttlMs` in this process, then
 * served while a fresh one is built in the background, so no caller waits for the reads of a
 * rebuild. Callers at the same moment share one build. `invalidate` is for a change that must show
 * at once: it bumps a version shared by every process (models/version.ts, read by `_id` at each
 * `get`), and a value built before it is not served, here or anywhere.
 */
export class SharedCache<T> {
  private readonly versions;
  private cached?: Entry<T>;
  /** A rebuild in the background, while the previous value is served. */
  private building?: Entry<T>;
  /** Bumped by invalidate(): builds started before it are not kept. */
  private generation = 0;

  constructor(
    conn: Connection,
    /** The version's `_id`. */
    private readonly name: string,
    private readonly build: () => Promise<T>,
    private readonly opts: { ttlMs: number; now: () => number },
  ) {
    this.versions = versionModel(conn);
  }

  async get(): Promise<T> {
    const version = (await this.versions.findById(this.name).lean<VersionDoc>())?.v ?? 0;
    if (this.cached !== undefined && this.cached.version !== version) this.forget();
    const now = this.opts.now();
    const cached = this.cached;
    if (cached === undefined) return this.rebuild(now, version).value;
    if (now - cached.at >= this.opts.ttlMs && this.building === undefined) {
      this.building = this.rebuild(now, version);
      void this.building.value
        .catch(() => {})
        .finally(() => {
          this.building = undefined;
        });
    }
    return cached.ready ?? cached.value;
  }

  /**
   * The value this process has, without asking whether it was invalidated elsewhere (no read):
   * for readers to whom a few minutes' staleness is harmless. `get` when there is none.
   */
  async current(): Promise<T> {
    const cached = this.cached;
    return cached ? (cached.ready ?? cached.value) : this.get();
  }

  /** The next `get`, in this process and in every other one, waits for a fresh value. */
  async invalidate(): Promise<void> {
    this.forget();
    await this.versions.updateOne({ _id: this.name }, { $inc: { v: 1 } }, { upsert: true });
  }

  private forget(): void {
    this.generation++;
    this.cached = undefined;
  }

  private rebuild(now: number, version: number): Entry<T> {
    const generation = this.generation;
    const entry: Entry<T> = { at: now, version, value: this.build() };
    // The first build: callers wait for it. Later ones replace the value once built.
    if (this.cached === undefined) this.cached = entry;
    entry.value.then(
      (value) => {
        entry.ready = value;
        // A build started before an invalidation read the data before the change: not kept.
        if (generation === this.generation) this.cached = entry;
      },
      () => {
        if (this.cached === entry) this.cached = undefined;
      },
    );
    return entry;
  }
}
