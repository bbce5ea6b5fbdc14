import type { Activity, ConversationReference } from 'botbuilder';
import type { Connection } from 'mongoose';
import { claim, claimed } from '../../models/claim.js';
import { type DeliveryDoc, type DeliveryTarget, deliveryModel } from '../../models/delivery.js';
import { insertOnce } from '../db/insert-once.js';
import { errorMessage } from '../errors.js';
import type { Job } from '../jobs/scheduler.js';
import { InFlight } from '../lifecycle.js';
import type { Logger } from '../log.js';

export type { DeliveryDoc, DeliveryTarget };

/** What became of a delivery to a person (bot/engine/proactive.ts ProactiveOutcome has the same values). */
export type SendOutcome = 'sent' | 'stopped' | 'unreachable';

/** The channels' side of the outbox: it sends, the outbox decides when and how often. */
export interface DeliverySender {
  toPerson(personId: string, activities: Partial<Activity>[]): Promise<SendOutcome>;
  toConversation(
    channel: string,
    conversation: Partial<ConversationReference>,
    activities: Partial<Activity>[],
  ): Promise<void>;
}

/** The waits after a failed attempt; when they run out, the delivery has failed. */
export const RETRY_DELAYS_MS = [30_000, 120_000, 600_000, 3_600_000];
/** How long an attempt may take before another process takes it for abandoned. */
export const LOCK_MS = 120_000;

/**
 * The outbox: a proactive message is written once per key, then sent by whichever process wins
 * each attempt (the claim `delivery|<key>|<n>`), at once when due and otherwise by the drain job.
 *
 * Delivery is at least once: an attempt whose process died, or that outlives its lock, is
 * attempted again, so a message sent just before a crash may be sent a second time. Anything else
 * (a second enqueue, two processes draining together, a retry) never sends twice.
 */
export class Outbox {
  private readonly conn: Connection;
  private readonly log: Logger;
  private readonly deliveries;
  private readonly now: () => number;
  private readonly retryDelaysMs: number[];
  private readonly lockMs: number;
  private readonly running = new InFlight();
  private sender?: DeliverySender;

  constructor(deps: {
    conn: Connection;
    log: Logger;
    sender?: DeliverySender;
    now?: () => number;
    retryDelaysMs?: number[];
    lockMs?: number;
  }) {
    this.conn = deps.conn;
    this.log = deps.log;
    this.deliveries = deliveryModel(deps.conn);
    this.sender = deps.sender;
    this.now = deps.now ?? Date.now;
    this.retryDelaysMs = deps.retryDelaysMs ?? RETRY_DELAYS_MS;
    this.lockMs = deps.lockMs ?? LOCK_MS;
  }

  /** Sets the sender later (the app creates the services before the channels). */
  setSender(sender: DeliverySender): void {
    this.sender = sender;
  }

  /** Writes the delivery once per key (true when new) and, if due, tries to send it at once in the background. */
  async enqueue(
    key: string,
    to: DeliveryTarget,
    activities: Partial<Activity>[],
    opts: { notBefore?: Date } = {},
  ): Promise<boolean> {
    const now = this.now();
    const nextAt = opts.notBefore ?? new Date(now);
    const doc: DeliveryDoc = {
      _id: key,
      to,
      activities: JSON.stringify(activities),
      status: 'pending',
      attempts: 0,
      nextAt,
      createdAt: new Date(now),
    };
    if (!(await insertOnce(this.deliveries.collection, doc))) return false;
    if (nextAt.getTime() <= now) {
      this.running
        .track(() => this.attempt(key, doc))
        .catch((err) => this.log.error({ key, error: errorMessage(err) }, 'outbox: attempt failed'));
    }
    return true;
  }

  /**
   * Sends the due pending deliveries, oldest first (also those whose attempt was abandoned by a
   * crashed process), one by one: the channels pace themselves. Returns how many it attempted.
   * A scan on FerretDB, acceptable off the turn's path.
   */
  async drain(limit = 100): Promise<number> {
    if (!this.sender) return 0;
    const now = new Date(this.now());
    const due = await this.deliveries
      .find(
        {
          status: 'pending',
          nextAt: { $lte: now },
          $or: [{ lockedUntil: { $exists: false } }, { lockedUntil: { $lte: now } }],
        },
        { _id: 1 },
      )
      .sort({ nextAt: 1 })
      .limit(limit)
      .lean<Pick<DeliveryDoc, '_id'>[]>();
    let attempted = 0;
    for (const { _id } of due) if (await this.attempt(_id)) attempted++;
    return attempted;
  }

  /** Resolves when the background sends started so far are finished (tests, shutdown). */
  idle(): Promise<void> {
    return this.running.settled();
  }

  /** The scheduled job that drains, every 30 s. */
  job(): Job {
    return {
      name: 'outbox',
      everyMs: 30_000,
      run: async () => {
        await this.drain();
      },
    };
  }

  async get(key: string): Promise<DeliveryDoc | null> {
    return this.deliveries.findById(key).lean<DeliveryDoc>();
  }

  /**
   * Makes the next attempt of `key` if it is due and this process wins it; true when it did.
   * `written`: the delivery as this process just wrote it (no need to read it back).
   */
  private async attempt(key: string, written?: DeliveryDoc): Promise<boolean> {
    const sender = this.sender;
    const doc = written ?? (await this.get(key));
    const now = this.now();
    if (!sender || !doc || !isDue(doc, now)) return false;
    const n = await this.take(doc, now);
    if (n === undefined) return false;
    if (n > this.retryDelaysMs.length + 1) {
      await this.fail(key, n - 1, 'every attempt was abandoned');
      return true;
    }
    await this.deliveries.updateOne(
      { _id: key },
      { $set: { attempts: n, lockedUntil: new Date(now + this.lockMs) } },
    );
    try {
      const outcome = await send(sender, doc);
      await this.deliveries.updateOne(
        { _id: key },
        {
          $set: { status: outcome, ...(outcome === 'sent' ? { sentAt: new Date(this.now()) } : {}) },
          $unset: { lockedUntil: 1 },
        },
      );
      this.log.info({ key, attempt: n, outcome }, 'outbox: delivery done');
    } catch (err) {
      await this.retryOrFail(key, n, errorMessage(err).slice(0, 200));
    }
    return true;
  }

  /**
   * Claims the next attempt of `doc` (the claim's value is the end of its lock); undefined when
   * another process holds it. An attempt claimed but never recorded on the delivery (its process
   * died in between) is passed over once its lock has ended.
   */
  private async take(doc: DeliveryDoc, now: number): Promise<number | undefined> {
    for (let n = doc.attempts + 1; ; n++) {
      const id = `delivery|${doc._id}|${n}`;
      if (await claim(this.conn, id, String(now + this.lockMs))) return n;
      const held = await claimed(this.conn, id);
      if (!(Number(held?.value) <= now)) return undefined;
    }
  }

  private async retryOrFail(key: string, n: number, lastError: string): Promise<void> {
    const delay = this.retryDelaysMs[n - 1];
    if (delay === undefined) return this.fail(key, n, lastError);
    await this.deliveries.updateOne(
      { _id: key },
      { $set: { nextAt: new Date(this.now() + delay), lastError }, $unset: { lockedUntil: 1 } },
    );
    this.log.warn({ key, attempt: n, retryInMs: delay, error: lastError }, 'outbox: attempt failed');
  }

  private async fail(key: string, attempts: number, lastError: string): Promise<void> {
    await this.deliveries.updateOne(
      { _id: key },
      { $set: { status: 'failed', lastError }, $unset: { lockedUntil: 1 } },
    );
    this.log.error({ key, attempts, error: lastError }, 'outbox: delivery failed');
  }
}

function isDue(doc: DeliveryDoc, now: number): boolean {
  return (
    doc.status === 'pending' &&
    doc.nextAt.getTime() <= now &&
    (!doc.lockedUntil || doc.lockedUntil.getTime() <= now)
  );
}

async function send(sender: DeliverySender, doc: DeliveryDoc): Promise<SendOutcome> {
  const activities = JSON.parse(doc.activities) as Partial<Activity>[];
  if ('personId' in doc.to) return sender.toPerson(doc.to.personId, activities);
  await sender.toConversation(doc.to.channel, doc.to.conversation, activities);
  return 'sent';
}
