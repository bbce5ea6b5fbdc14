import { randomBytes } from 'node:crypto';
import type { Connection } from 'mongoose';
import { Lru } from '../../bot/db/lru.js';
import { isDuplicateKey } from '../../bot/errors.js';
import { inboundMarkModel } from '../../models/inbound-mark.js';
import {
  type TelegramKeyboardDoc,
  type TelegramUpdateDoc,
  telegramKeyboardModel,
  telegramUpdateModel,
} from '../../models/telegram.js';

export type PressOutcome =
  | { kind: 'fresh'; button: { title: string; value: unknown }; messageIds: number[] }
  | { kind: 'repeated' }
  | { kind: 'stale' };

/**
 * What the Telegram channel keeps in MongoDB. Every lookup is by `_id` (the embedded FerretDB
 * pushes nothing else down), and every race is settled by a unique `_id` insert.
 */
export class TelegramStore {
  private readonly updates;
  private readonly keyboards;
  private readonly claims;
  /** chat -> the keyboard this process last sent there and that nobody pressed yet. */
  private readonly open = new Lru<string, { key: string; messageIds: number[] }>(10_000);

  constructor(conn: Connection) {
    this.updates = telegramUpdateModel(conn);
    this.keyboards = telegramKeyboardModel(conn);
    this.claims = inboundMarkModel(conn);
  }

  /** Records an update before it is acknowledged. false: it was already recorded (a redelivery). */
  async record(updateId: number, chat: string, update: object): Promise<boolean> {
    try {
      const doc: TelegramUpdateDoc = {
        _id: updateId,
        chat,
        state: 'pending',
        raw: JSON.stringify(update),
        at: new Date(),
      };
      await this.updates.collection.insertOne(doc as never);
      return true;
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
  }

  /** The update is processed: its content (personal data) is dropped, its id kept for dedupe. */
  async done(updateId: number): Promise<void> {
    await this.updates.updateOne({ _id: updateId }, { $set: { state: 'done' }, $unset: { raw: 1 } });
  }

  /** Updates recorded but never processed (the process stopped in between), oldest first. */
  async pending(olderThanMs: number, limit = 1000): Promise<TelegramUpdateDoc[]> {
    const before = new Date(Date.now() - olderThanMs);
    return this.updates
      .find({ state: 'pending', at: { $lt: before } })
      .sort({ _id: 1 })
      .limit(limit)
      .lean<TelegramUpdateDoc[]>();
  }

  /** Takes the right to do something once, across processes (a unique insert). */
  async claim(id: string): Promise<boolean> {
    try {
      await this.claims.collection.insertOne({ _id: `telegram|${id}` as never, at: new Date() });
      return true;
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
  }

  /**
   * Makes `buttons` the chat's only live keyboard, under a new short key. Returns the key, and
   * the messages of the keyboard it replaces, whose buttons should be removed.
   */
  async openKeyboard(
    chat: string,
    buttons: Array<{ title: string; value: unknown }>,
  ): Promise<{ key: string; superseded: number[] }> {
    const key = randomBytes(6).toString('base64url');
    const superseded = this.open.get(chat)?.messageIds ?? [];
    await this.keyboards.replaceOne(
      { _id: chat },
      { _id: chat, key, buttons, messageIds: [], at: new Date() } satisfies TelegramKeyboardDoc,
      { upsert: true },
    );
    this.open.set(chat, { key, messageIds: [] });
    return { key, superseded };
  }

  /** Notes which messages carry the keyboard, to remove its buttons later. */
  async keyboardSent(chat: string, key: string, messageIds: number[]): Promise<void> {
    const open = this.open.get(chat);
    if (open?.key === key) open.messageIds.push(...messageIds);
    await this.keyboards.updateOne({ _id: chat, key }, { $push: { messageIds: { $each: messageIds } } });
  }

  /** Messages sent without buttons close the open keyboard: returns the messages to clear. */
  async closeKeyboard(chat: string): Promise<number[]> {
    const open = this.open.get(chat);
    if (!open) return [];
    this.open.delete(chat);
    await this.keyboards.updateOne({ _id: chat, key: open.key }, { $set: { key: `closed:${open.key}` } });
    return open.messageIds;
  }

  /**
   * A press on `key`'s button `n`: fresh once, repeated after that (a double tap, two processes),
   * stale when the chat has had another keyboard since.
   */
  async press(chat: string, key: string, n: number): Promise<PressOutcome> {
    if (!key) return { kind: 'stale' };
    const doc = await this.keyboards.findById(chat).lean<TelegramKeyboardDoc>();
    const button = doc?.key === key ? doc.buttons[n] : undefined;
    if (!doc || !button) {
      return (await this.claimed(`press|${chat}|${key}`)) ? { kind: 'repeated' } : { kind: 'stale' };
    }
    if (!(await this.claim(`press|${chat}|${key}`))) return { kind: 'repeated' };
    if (this.open.get(chat)?.key === key) this.open.delete(chat);
    return { kind: 'fresh', button, messageIds: doc.messageIds };
  }

  private async claimed(id: string): Promise<boolean> {
    return (await this.claims.exists({ _id: `telegram|${id}` })) !== null;
  }
}
