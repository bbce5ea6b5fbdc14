import type { Connection } from 'mongoose';
import { GroupCommit } from '../../bot/db/group-commit.js';
import { insertOnce } from '../../bot/db/insert-once.js';
import { type InboundMarkDoc, inboundMarkModel, mark, markAttempt } from '../../models/inbound-mark.js';
import { type TelegramUpdateDoc, telegramUpdateModel } from '../../models/telegram.js';
import { KeyboardStore } from '../shared/keyboards.js';

/**
 * What the Telegram channel keeps in MongoDB: the updates received, and its keyboards. Every
 * lookup is by `_id` (the embedded FerretDB pushes nothing else down), and every race is settled
 * by a unique `_id` insert.
 */
export class TelegramStore {
  private readonly updates;
  private readonly marks;
  /** The live inline keyboards of each chat: its question's, and its standalone cards'. */
  readonly keyboards: KeyboardStore;

  constructor(private readonly conn: Connection) {
    this.updates = telegramUpdateModel(conn);
    this.marks = inboundMarkModel(conn);
    this.keyboards = new KeyboardStore(conn, 'telegram');
  }

  /** Records an update before it is acknowledged. false: it was already recorded (a redelivery). */
  async record(updateId: number, chat: string, update: object): Promise<boolean> {
    const doc: TelegramUpdateDoc = {
      _id: updateId,
      chat,
      state: 'pending',
      raw: JSON.stringify(update),
      at: new Date(),
    };
    return insertOnce(this.updates.collection, doc);
  }

  /** The update is processed: its content (personal data) is dropped, its id kept for dedupe. */
  async done(updateId: number): Promise<void> {
    await this.updates.updateOne({ _id: updateId }, { $set: { state: 'done' }, $unset: { raw: 1 } });
  }

  /**
   * These updates are still being processed here (a long queue, a flood wait): no other
   * process's recovery takes them for lost. Said in a mark of its own per update, never on the
   * update itself: on FerretDB an update is a read then a write, which could put back an update
   * done meanwhile.
   */
  async stillProcessing(updateIds: number[]): Promise<void> {
    const at = new Date();
    const writes = GroupCommit.of(this.marks.collection);
    await Promise.all(updateIds.map((id) => writes.updateById(aliveMark(id), { $set: { at } }, true)));
  }

  /**
   * Updates recorded but never processed (the process stopped in between), oldest first: pending
   * for `olderThanMs`, and not said to be still processing in that time.
   */
  async pending(olderThanMs: number, limit = 1000): Promise<TelegramUpdateDoc[]> {
    const before = new Date(Date.now() - olderThanMs);
    const pending = await this.updates
      .find({ state: 'pending', at: { $lt: before } })
      .sort({ _id: 1 })
      .limit(limit)
      .lean<TelegramUpdateDoc[]>();
    const alive = await Promise.all(
      pending.map(async (doc) => {
        const mark = await this.marks.findById(aliveMark(doc._id)).lean<InboundMarkDoc>();
        return mark !== null && mark.at >= before;
      }),
    );
    return pending.filter((_, i) => !alive[i]);
  }

  /** Takes the right to do something once, across processes (a unique insert). */
  claim(id: string): Promise<boolean> {
    return mark(this.conn, `telegram|${id}`);
  }

  /**
   * Takes the recovery of an update: false when another process took it less than `freshMs` ago
   * (it is at it; if it fails or dies, a later recovery takes it once that attempt is older).
   */
  claimRecovery(updateId: number, freshMs: number): Promise<boolean> {
    return markAttempt(this.conn, `telegram|recover|${updateId}`, freshMs);
  }
}

/** The mark that says a process still has update `id` (see stillProcessing); forgotten after a week. */
function aliveMark(id: number): string {
  return `telegram|alive|${id}`;
}
