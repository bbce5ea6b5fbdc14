import { randomBytes } from 'node:crypto';
import type { Connection } from 'mongoose';
import { inboundMarkModel, mark } from '../../models/inbound-mark.js';
import { type KeyboardDoc, keyboardModel } from '../../models/keyboard.js';

/** A keyboard pressed or passed by keeps its document, its key prefixed with this. */
const CLOSED = 'closed:';

export interface KeyboardButton {
  title: string;
  value: unknown;
}

/** A message that carries a keyboard; `shown`: how it looked (see KeyboardDoc), when kept. */
export interface KeyboardMessage {
  id: string;
  shown?: string;
}

export type PressOutcome =
  | { kind: 'fresh'; button: KeyboardButton; messages: KeyboardMessage[] }
  | { kind: 'repeated' }
  | { kind: 'stale' };

/**
 * The buttons last sent to each chat of a channel, for channels whose buttons carry only a short
 * reference (`<key>:<n>`): what a press means is read here, a key that is no longer the chat's is
 * stale, and the first press of a live keyboard wins (a unique insert), also across processes.
 * Every lookup is by `_id` (the embedded FerretDB pushes nothing else down).
 */
export class KeyboardStore {
  private readonly keyboards;
  private readonly claims;

  constructor(
    private readonly conn: Connection,
    private readonly channel: string,
  ) {
    this.keyboards = keyboardModel(conn);
    this.claims = inboundMarkModel(conn);
  }

  private id(chat: string): string {
    return `${this.channel}|${chat}`;
  }

  /**
   * Makes `buttons` the chat's only live keyboard, under a new short key. Returns the key, and
   * the messages of the keyboard it replaces, whose buttons should be removed.
   */
  async openKeyboard(
    chat: string,
    buttons: KeyboardButton[],
  ): Promise<{ key: string; superseded: KeyboardMessage[] }> {
    const key = randomBytes(6).toString('base64url');
    const _id = this.id(chat);
    const previous = await this.live(chat);
    await this.keyboards.replaceOne(
      { _id },
      { _id, key, buttons, messageIds: [], at: new Date() } satisfies KeyboardDoc,
      { upsert: true },
    );
    return { key, superseded: previous ? messagesOf(previous) : [] };
  }

  /** The chat's keyboard if nobody pressed it and no message has passed it by. */
  private async live(chat: string): Promise<KeyboardDoc | undefined> {
    const doc = await this.keyboards.findById(this.id(chat)).lean<KeyboardDoc>();
    return doc && !doc.key.startsWith(CLOSED) ? doc : undefined;
  }

  /** Closes `key` if it is still the chat's live keyboard. */
  private async close(chat: string, key: string): Promise<void> {
    await this.keyboards.updateOne({ _id: this.id(chat), key }, { $set: { key: `${CLOSED}${key}` } });
  }

  /** Notes which messages carry the keyboard, to remove its buttons later. */
  async keyboardSent(chat: string, key: string, messages: KeyboardMessage[]): Promise<void> {
    await this.keyboards.updateOne(
      { _id: this.id(chat), key },
      {
        $push: {
          messageIds: { $each: messages.map((m) => m.id) },
          shown: { $each: messages.map((m) => m.shown ?? '') },
        },
      },
    );
  }

  /** Messages sent without buttons close the open keyboard: returns the messages to clear. */
  async closeKeyboard(chat: string): Promise<KeyboardMessage[]> {
    const open = await this.live(chat);
    if (!open) return [];
    await this.close(chat, open.key);
    return messagesOf(open);
  }

  /**
   * A press on `key`'s button `n`: fresh once, repeated after that (a double tap, two processes),
   * stale when the chat has had another keyboard since, or when the data is not ours.
   */
  async press(chat: string, key: string, n: number): Promise<PressOutcome> {
    if (!key) return { kind: 'stale' };
    const claim = `${this.channel}|press|${chat}|${key}`;
    const doc = await this.keyboards.findById(this.id(chat)).lean<KeyboardDoc>();
    const button = doc?.key === key ? doc.buttons[n] : undefined;
    if (!doc || !button)
      return (await this.claims.exists({ _id: claim })) ? { kind: 'repeated' } : { kind: 'stale' };
    if (!(await mark(this.conn, claim))) return { kind: 'repeated' };
    await this.close(chat, key);
    return { kind: 'fresh', button, messages: messagesOf(doc) };
  }
}

function messagesOf(doc: KeyboardDoc): KeyboardMessage[] {
  return doc.messageIds.map((id, i) => (doc.shown?.[i] ? { id, shown: doc.shown[i] } : { id }));
}

/** `<key>:<n>`, the reference a button carries back (at most 20 bytes). */
export function buttonRef(key: string, n: number): string {
  return `${key}:${n}`;
}

/** The key and index of a button reference; an empty key when it is not one of ours. */
export function parseButtonRef(data: string | undefined): { key: string; n: number } {
  const match = /^([A-Za-z0-9_-]{1,16}):(\d{1,3})$/.exec(data ?? '');
  return { key: match?.[1] ?? '', n: match ? Number(match[2]) : -1 };
}
