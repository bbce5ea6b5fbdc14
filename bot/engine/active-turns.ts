import type { Connection } from 'mongoose';

const byConnection = new WeakMap<Connection, Map<string, number>>();

/**
 * The people whose turn runs now in this process, per database connection (every engine on it):
 * such a turn saves their state as a new revision, which tells every other process that they
 * changed (see bot/bot.ts).
 */
export class ActiveTurns {
  private readonly count: Map<string, number>;

  constructor(conn: Connection) {
    let shared = byConnection.get(conn);
    if (!shared) {
      shared = new Map();
      byConnection.set(conn, shared);
    }
    this.count = shared;
  }

  has(personId: string): boolean {
    return this.count.has(personId);
  }

  enter(personId: string): void {
    this.count.set(personId, (this.count.get(personId) ?? 0) + 1);
  }

  leave(personId: string): void {
    const n = (this.count.get(personId) ?? 0) - 1;
    if (n > 0) this.count.set(personId, n);
    else this.count.delete(personId);
  }
}
