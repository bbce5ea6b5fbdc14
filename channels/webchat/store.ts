import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Activity } from 'botbuilder';
import type { Connection } from 'mongoose';
import { AppendLog } from '../../bot/db/append-log.js';
import { Lru } from '../../bot/db/lru.js';
import { KeyedQueue } from '../../bot/engine/keyed-queue.js';
import type { Logger } from '../../bot/log.js';
import { isMarked, mark, markAttempt } from '../../models/inbound-mark.js';
import { type WebchatConversationDoc, webchatConversationModel } from '../../models/webchat.js';

export interface ActivitySet {
  activities: Partial<Activity>[];
  watermark: string;
}

const PAGE = 100;

/**
 * The Direct Line transcript of each web chat conversation, an append-only log in MongoDB, so that
 * any process can serve any conversation and a reconnecting client gets exactly what it missed.
 * The watermark is the log's sequence number. Appends in this process are announced on `events`
 * ('append', conversationId).
 */
export class WebchatStore {
  readonly events = new EventEmitter();
  private readonly conversations;
  /** One entry per append: the activities posted together (a user's message, or a turn's replies). */
  private readonly log: AppendLog<Partial<Activity>[]>;
  private readonly queue = new KeyedQueue();
  /** A conversation's user never changes: cache it. */
  private readonly users = new Lru<string, WebchatConversationDoc>(20_000);

  constructor(
    private readonly conn: Connection,
    log?: Logger,
  ) {
    this.conversations = webchatConversationModel(conn);
    this.log = new AppendLog(conn, 'webchat_activities', {
      headEvery: 16,
      onError: (err) => log?.warn({ err }, 'web chat transcript: moving the head failed'),
    });
    this.events.setMaxListeners(0);
  }

  /** A new conversation of `userId`; `resumeHash`: see WebchatConversationDoc. */
  async createConversation(userId: string, resumeHash?: string): Promise<string> {
    const id = randomBytes(12).toString('base64url');
    const doc = { _id: id, userId, createdAt: new Date(), ...(resumeHash ? { resumeHash } : {}) };
    await this.conversations.create(doc);
    this.users.set(id, doc);
    this.log.markEmpty(id);
    return id;
  }

  async conversation(id: string): Promise<WebchatConversationDoc | null> {
    const cached = this.users.get(id);
    if (cached) return cached;
    const doc = await this.conversations.findById(id).lean<WebchatConversationDoc>();
    if (doc) this.users.set(id, doc);
    return doc;
  }

  /**
   * Appends activities as one entry, whose seq is the new watermark, and returns them with their
   * ids (`<conversation>|<seq>` and `<conversation>|<seq>.<n>` for the next ones of the entry).
   * Emits 'append' (conversationId, seq, activities) for this process's sockets.
   */
  append(
    conversationId: string,
    activities: Partial<Activity>[],
  ): Promise<{ activities: Partial<Activity>[]; seq: number }> {
    // One append at a time per conversation in this process; across processes the log's unique
    // ids hand each seq out once.
    return this.queue.run(conversationId, async () => {
      const { seq, value } = await this.log.append(conversationId, (n) =>
        activities.map((a, i) => ({
          ...a,
          id: `${conversationId}|${String(n).padStart(7, '0')}${i ? `.${i}` : ''}`,
        })),
      );
      this.events.emit('append', conversationId, seq, value);
      return { activities: value, seq };
    });
  }

  /** Activities after `watermark` (exclusive), oldest first, at most one page. */
  async after(conversationId: string, watermark: number): Promise<ActivitySet> {
    const entries = await this.log.after(conversationId, watermark, PAGE);
    return {
      activities: entries.flatMap((e) => e.value),
      watermark: String(entries.at(-1)?.seq ?? watermark),
    };
  }

  /** The activities of the conversation's last `entries` entries, oldest first. */
  async tail(conversationId: string, entries: number): Promise<Partial<Activity>[]> {
    const last = await this.log.last(conversationId);
    if (!last) return [];
    const seqs = Array.from(
      { length: Math.min(entries, last.seq) - 1 },
      (_, i) => last.seq - 1 - i,
    ).reverse();
    const before = await Promise.all(seqs.map((seq) => this.log.get(conversationId, seq)));
    return [...before.flatMap((value) => value ?? []), ...last.value];
  }

  /** Takes the right to do something once, across processes (a unique insert). */
  claim(id: string): Promise<boolean> {
    return mark(this.conn, `webchat|${id}`);
  }

  /**
   * Takes an attempt at something that may have to be tried again (see markAttempt): false when
   * another one was taken less than `freshMs` ago.
   */
  claimAttempt(id: string, freshMs: number): Promise<boolean> {
    return markAttempt(this.conn, `webchat|${id}`, freshMs);
  }

  /** Whether `claim(id)` was taken. */
  claimed(id: string): Promise<boolean> {
    return isMarked(this.conn, `webchat|${id}`);
  }

  /** Whether the conversation has an activity after `watermark` (one primary-key read). */
  async hasAfter(conversationId: string, watermark: number): Promise<boolean> {
    return (await this.log.get(conversationId, watermark + 1)) !== undefined;
  }
}
