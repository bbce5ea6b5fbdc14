import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Activity } from 'botbuilder';
import type { Connection } from 'mongoose';
import { KeyedQueue } from '../../bot/engine/keyed-queue.js';
import { isDuplicateKey } from '../../bot/errors.js';
import {
  type WebchatActivityDoc,
  type WebchatConversationDoc,
  webchatActivityModel,
  webchatConversationModel,
} from '../../models/webchat.js';

export interface ActivitySet {
  activities: Partial<Activity>[];
  watermark: string;
}

const PAGE = 100;

/**
 * The Direct Line transcript of each web chat conversation in MongoDB, so that any process can
 * serve any conversation and a reconnecting client gets exactly what it missed. Appends in this
 * process are announced on `events` ('append', conversationId).
 */
export class WebchatStore {
  readonly events = new EventEmitter();
  private readonly conversations;
  private readonly activities;
  private readonly queue = new KeyedQueue();
  /** Last seq seen per conversation: saves a read per append; a stale value only costs a retry. */
  private readonly lastSeq = new Map<string, number>();

  constructor(conn: Connection) {
    this.conversations = webchatConversationModel(conn);
    this.activities = webchatActivityModel(conn);
    this.events.setMaxListeners(0);
  }

  async createConversation(userId: string): Promise<string> {
    const id = randomBytes(12).toString('base64url');
    await this.conversations.create({ _id: id, userId, createdAt: new Date() });
    this.lastSeq.set(id, 0);
    return id;
  }

  async conversation(id: string): Promise<WebchatConversationDoc | null> {
    return this.conversations.findById(id).lean<WebchatConversationDoc>();
  }

  /** Appends an activity and returns it with its id (`<conversation>|<seq>`) and seq. */
  append(
    conversationId: string,
    activity: Partial<Activity>,
  ): Promise<{ activity: Partial<Activity>; seq: number }> {
    return this.queue.run(conversationId, async () => {
      for (let attempt = 0; attempt < 20; attempt++) {
        const seq = (this.lastSeq.get(conversationId) ?? (await this.maxSeq(conversationId))) + 1;
        const stored = { ...activity, id: `${conversationId}|${String(seq).padStart(7, '0')}` };
        try {
          await this.activities.create({
            _id: `${conversationId}#${seq}`,
            conversationId,
            seq,
            json: JSON.stringify(stored),
            at: new Date(),
          });
          this.lastSeq.set(conversationId, seq);
          this.events.emit('append', conversationId);
          return { activity: stored, seq };
        } catch (err) {
          if (!isDuplicateKey(err)) throw err;
          this.lastSeq.set(conversationId, await this.maxSeq(conversationId));
        }
      }
      throw new Error(`could not append to web chat conversation ${conversationId}`);
    });
  }

  /** Activities after `watermark` (exclusive), oldest first, at most one page. */
  async after(conversationId: string, watermark: number): Promise<ActivitySet> {
    const docs = await this.activities
      .find({ conversationId, seq: { $gt: watermark } })
      .sort({ seq: 1 })
      .limit(PAGE)
      .lean<WebchatActivityDoc[]>();
    const last = docs.at(-1)?.seq ?? watermark;
    return { activities: docs.map((d) => JSON.parse(d.json)), watermark: String(last) };
  }

  /** The highest seq appended since `since` in each of these conversations (cross-process polling). */
  async recentMaxSeqs(conversationIds: string[], since: Date): Promise<Map<string, number>> {
    const docs = await this.activities
      .find({ conversationId: { $in: conversationIds }, at: { $gte: since } }, { conversationId: 1, seq: 1 })
      .lean<Array<{ conversationId: string; seq: number }>>();
    const max = new Map<string, number>();
    for (const d of docs) max.set(d.conversationId, Math.max(max.get(d.conversationId) ?? 0, d.seq));
    return max;
  }

  private async maxSeq(conversationId: string): Promise<number> {
    const doc = await this.activities
      .findOne({ conversationId }, { seq: 1 })
      .sort({ seq: -1 })
      .lean<{ seq: number }>();
    return doc?.seq ?? 0;
  }
}
