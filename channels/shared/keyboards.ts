import { randomBytes } from 'node:crypto';
import type { Activity } from 'botbuilder';
import type { Connection } from 'mongoose';
import { isStandalone } from '../../bot/engine/reply.js';
import { inboundMarkModel, mark, markedBy, markFor, unmark } from '../../models/inbound-mark.js';
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

/**
 * 'fresh': the keyboard's first press (its buttons should come off); 'late': another button of a
 * multi-select already pressed, an answer too; 'repeated': a button pressed again; 'stale': the
 * question has passed.
 */
export type PressOutcome =
  | { kind: 'fresh'; button: KeyboardButton; messages: KeyboardMessage[] }
  | { kind: 'late'; button: KeyboardButton }
  | { kind: 'repeated' }
  | { kind: 'stale' };

/** The keyboard of one batch of a send, to note its messages once they are sent (keyboardSent). */
export interface OpenKeyboard {
  key: string;
  /** The document that holds it: the chat's question keyboard, or a standalone card's own. */
  doc: string;
}

/**
 * The buttons sent to each chat of a channel, for channels whose buttons carry only a short
 * reference (`<key>:<n>`): what a press means is read here, and the first press of a live keyboard
 * wins (a unique insert), also across processes. A chat has one question keyboard at a time (a key
 * that is no longer the chat's is stale) and any number of standalone cards, each on its own.
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

  /** The chat's question keyboard (`<channel>|<chat>`), or its standalone card `key`'s. */
  private id(chat: string, card?: string): string {
    return card ? `${this.channel}|${chat}|${card}` : `${this.channel}|${chat}`;
  }

  /**
   * The keyboard of one batch of a send (see `batches`): a standalone card gets its own, and
   * leaves the chat's question keyboard as it is; other buttons become the chat's only question
   * keyboard, and a batch without any closes it. Returns the keyboard (none without buttons) and
   * the messages of the one it replaces or closes, whose buttons should be removed. `multi`: the
   * question takes several of its buttons (see isMultiSelect).
   */
  async open(
    chat: string,
    buttons: KeyboardButton[],
    standalone: boolean,
    multi = false,
  ): Promise<{ keyboard?: OpenKeyboard; stale: KeyboardMessage[] }> {
    if (buttons.length === 0) return { stale: standalone ? [] : await this.closeKeyboard(chat) };
    const key = randomBytes(6).toString('base64url');
    const doc = standalone ? this.id(chat, key) : this.id(chat);
    const current = standalone ? undefined : await this.question(chat);
    if (current?.multi) {
      // A multi-select's keyboard is kept, closed, under its own key (as a card's is) before it is
      // replaced: another of its buttons, pressed before they came off, is still read. Kept first:
      // a press always finds one or the other.
      const key = current.key.replace(CLOSED, '');
      const kept = { ...current, _id: this.id(chat, key), key: closedKey(key) };
      await this.keyboards.replaceOne({ _id: kept._id }, kept, { upsert: true });
    }
    await this.keyboards.replaceOne(
      { _id: doc },
      {
        _id: doc,
        key,
        buttons,
        messageIds: [],
        at: new Date(),
        ...(multi ? { multi: true } : {}),
      } satisfies KeyboardDoc,
      { upsert: true },
    );
    const previous = current && !current.key.startsWith(CLOSED) ? current : undefined;
    return { keyboard: { key, doc }, stale: previous ? messagesOf(previous) : [] };
  }

  /** The chat's question keyboard, live or closed. */
  private async question(chat: string): Promise<KeyboardDoc | undefined> {
    return (await this.keyboards.findById(this.id(chat)).lean<KeyboardDoc>()) ?? undefined;
  }

  /** The chat's question keyboard if nobody pressed it and no message has passed it by. */
  private async live(chat: string): Promise<KeyboardDoc | undefined> {
    const doc = await this.question(chat);
    return doc && !doc.key.startsWith(CLOSED) ? doc : undefined;
  }

  /** Closes `key` if document `doc` still holds it live. */
  private async close(doc: string, key: string): Promise<void> {
    await this.keyboards.updateOne({ _id: doc, key }, { $set: { key: closedKey(key) } });
  }

  /** Opens `key` again if document `doc` holds it closed (a press that closed it failed after). */
  private async reopen(doc: string, key: string): Promise<void> {
    await this.keyboards.updateOne({ _id: doc, key: closedKey(key) }, { $set: { key } });
  }

  /** Notes which messages carry the keyboard, to remove its buttons later. */
  async keyboardSent({ doc, key }: OpenKeyboard, messages: KeyboardMessage[]): Promise<void> {
    await this.keyboards.updateOne(
      { _id: doc, key },
      {
        $push: {
          messageIds: { $each: messages.map((m) => m.id) },
          shown: { $each: messages.map((m) => m.shown ?? '') },
        },
      },
    );
  }

  /** Messages sent without buttons close the open question keyboard: returns the messages to clear. */
  private async closeKeyboard(chat: string): Promise<KeyboardMessage[]> {
    const open = await this.live(chat);
    if (!open) return [];
    await this.close(open._id, open.key);
    return messagesOf(open);
  }

  /**
   * A press on `key`'s button `n`: fresh once, repeated after that (a double tap, two processes),
   * stale when `key` is neither the chat's question keyboard (it has had another since) nor one
   * of its standalone cards, or when the data is not ours. A multi-select takes each of its
   * buttons once: another one pressed after the first (before its buttons came off, also once the
   * question has come back: its keyboard is kept) is late.
   *
   * A press that fails half-way gives back what it took. `by`, the press's own identity (a
   * Telegram update), makes it the same press when it is processed again after its process died
   * half-way: it finds its claims its own, and its answer again (the engine applies a message once).
   */
  async press(chat: string, key: string, n: number, by?: string): Promise<PressOutcome> {
    if (!key) return { kind: 'stale' };
    const claim = `${this.channel}|press|${chat}|${key}`;
    const pressed = () => this.claims.exists({ _id: claim });
    const doc = await this.keyboard(chat, key);
    const button = doc?.buttons[n];
    const live = doc?.key === key;
    if (doc && button && !live && by !== undefined && (await markedBy(this.conn, claim)) === by)
      return { kind: 'fresh', button, messages: [] };
    if (!doc || !button || !(live || doc.multi))
      return (await pressed()) ? { kind: 'repeated' } : { kind: 'stale' };
    // A closed multi-select is late whatever closed it (a press, an answer typed meanwhile): the
    // dialog takes it while its question is the current one, and says it has passed otherwise.
    const taken: string[] = [];
    let closing = false;
    const take = async (id: string) => {
      const won = by === undefined ? await mark(this.conn, id) : await markFor(this.conn, id, by);
      if (won) taken.push(id);
      return won;
    };
    try {
      // Each button of a multi-select once, before the keyboard's own claim: a double tap is
      // repeated whichever of the two taps wins.
      if (doc.multi && !(await take(`${claim}|${n}`))) return { kind: 'repeated' };
      if (live && (await take(claim))) {
        closing = true;
        await this.close(doc._id, key);
        return { kind: 'fresh', button, messages: messagesOf(doc) };
      }
      return doc.multi ? { kind: 'late', button } : { kind: 'repeated' };
    } catch (err) {
      // Given back, the keyboard open again first (a close that failed may still have been
      // written): the press's retry, or the person's next tap, is taken. When that fails too, the
      // claims stay, and only the same press (`by`) finds them its own.
      try {
        if (closing) await this.reopen(doc._id, key);
        await Promise.all(taken.map((id) => unmark(this.conn, id)));
      } catch {}
      throw err;
    }
  }

  /**
   * The document of keyboard `key`, live or closed: the chat's question keyboard (read first), or
   * one kept under its own key (a card's, a past multi-select's).
   */
  private async keyboard(chat: string, key: string): Promise<KeyboardDoc | undefined> {
    const holds = (doc: KeyboardDoc | null | undefined) =>
      doc && (doc.key === key || doc.key === closedKey(key)) ? doc : undefined;
    return (
      holds(await this.question(chat)) ??
      holds(await this.keyboards.findById(this.id(chat, key)).lean<KeyboardDoc>())
    );
  }
}

function closedKey(key: string): string {
  return key.startsWith(CLOSED) ? key : `${CLOSED}${key}`;
}

/**
 * A send cut where standalone cards stand: each card alone, under its own keyboard, and the
 * activities between them together, as the batch of one question (see KeyboardStore.open).
 */
function batches(
  activities: Partial<Activity>[],
): Array<{ standalone: boolean; activities: Partial<Activity>[] }> {
  const out: Array<{ standalone: boolean; activities: Partial<Activity>[] }> = [];
  for (const activity of activities) {
    const standalone = isStandalone(activity);
    const last = out.at(-1);
    if (last && !standalone && !last.standalone) last.activities.push(activity);
    else out.push({ standalone, activities: [activity] });
  }
  return out;
}

/** Sends a reply's batches (see `batches`) one after the other, and gathers what they return. */
export async function sendInBatches<R>(
  activities: Partial<Activity>[],
  send: (batch: Partial<Activity>[], standalone: boolean) => Promise<R[]>,
): Promise<R[]> {
  const out: R[] = [];
  for (const batch of batches(activities)) out.push(...(await send(batch.activities, batch.standalone)));
  return out;
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
