import type { Storage, StoreItems } from 'botbuilder';
import type { Connection } from 'mongoose';
import { type BotStateDoc, botStateModel } from '../../models/bot-state.js';
import { ConflictError, isDuplicateKey } from '../errors.js';

const UNCONDITIONAL_ATTEMPTS = 5;

/**
 * botbuilder's Storage on MongoDB. The eTag is the revision number. A write carrying an eTag
 * inserts the next revision and fails with a ConflictError when another writer inserted it
 * first; `*` or no eTag writes unconditionally (botbuilder's contract). Older revisions are
 * pruned after each write.
 */
export class MongoStorage implements Storage {
  private readonly model;

  constructor(conn: Connection) {
    this.model = botStateModel(conn);
  }

  async read(keys: string[]): Promise<StoreItems> {
    if (keys.length === 0) return {};
    const docs = await this.model
      .find({ key: { $in: keys } })
      .sort({ key: 1, rev: -1 })
      .lean<BotStateDoc[]>();
    const items: StoreItems = {};
    for (const d of docs) items[d.key] ??= { ...JSON.parse(d.json), eTag: String(d.rev) };
    return items;
  }

  async write(changes: StoreItems): Promise<void> {
    await Promise.all(Object.entries(changes).map(([key, item]) => this.writeOne(key, item)));
  }

  private async latestRev(key: string): Promise<number> {
    const doc = await this.model.findOne({ key }, { rev: 1 }).sort({ rev: -1 }).lean<{ rev: number }>();
    return doc?.rev ?? 0;
  }

  private async writeOne(key: string, item: Record<string, unknown>): Promise<void> {
    const { eTag, ...data } = item;
    const json = JSON.stringify(data);
    const conditional = eTag !== undefined && eTag !== '*';
    for (let attempt = 0; attempt < UNCONDITIONAL_ATTEMPTS; attempt++) {
      const rev = (conditional ? Number(eTag) : await this.latestRev(key)) + 1;
      try {
        await this.model.create({ _id: `${key}@${rev}`, key, rev, json, at: new Date() });
        await this.model.deleteMany({ key, rev: { $lt: rev } });
        // The writer may save again in the same turn: give it the new revision.
        item.eTag = String(rev);
        return;
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
        if (conditional) throw new ConflictError(`state ${key} changed since it was read`, 'storage.write');
      }
    }
    throw new ConflictError(`state ${key} kept changing during an unconditional write`, 'storage.write');
  }

  async delete(keys: string[]): Promise<void> {
    if (keys.length > 0) await this.model.deleteMany({ key: { $in: keys } });
  }
}
