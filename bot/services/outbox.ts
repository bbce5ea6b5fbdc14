import { setTimeout as sleep } from 'node:timers/promises';
import type { Activity, ConversationReference } from 'botbuilder';
import type { Connection } from 'mongoose';
import { claim, claimed } from '../../models/claim.js';
import {
  type DeliveryDoc,
  type DeliveryDueDoc,
  type DeliveryTarget,
  deliveryDueModel,
  deliveryModel,
} from '../../models/delivery.js';
import { GroupCommit } from '../db/group-commit.js';
import { insertOnce } from '../db/insert-once.js';
import { errorMessage, PartlySentError, type SendProgress } from '../errors.js';
import type { Job } from '../jobs/scheduler.js';
import { InFlight } from '../lifecycle.js';
import type { Logger } from '../log.js';

export type { DeliveryDoc, DeliveryTarget };

/** What became of a delivery to a person (bot/engine/proactive.ts ProactiveOutcome has the same values). */
export type SendOutcome = 'sent' | 'stopped' | 'unreachable';

/** The channels' side of the outbox: it sends, the outbox decides when and how often. */
export interface DeliverySender {
  /** `resume`: how many activities went in earlier attempts, and where (see Proactive.send). */
  toPerson(personId: string, activities: Partial<Activity>[], resume?: SendProgress): Promise<SendOutcome>;
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
 * (a second enqueue, two processes draining together, a retry) never sends a delivery twice: an
 * attempt that fails half-way records how many of its activities went (PartlySentError), and the
 * next one sends the rest. The activity it failed in is sent again whole: on Telegram, a long text
 * whose second part failed repeats its first; in Slack, a batch of more than one message. And a
 * person's delivery that goes to another of their channels the next time goes whole.
 */
export class Outbox {
  private readonly conn: Connection;
  private readonly log: Logger;
  private readonly deliveries;
  /** The unfinished deliveries' keys (models/delivery.ts), written through the group commit. */
  private readonly due;
  private readonly dueWrites: GroupCommit;
  /** Whether this process has made sure every pending delivery is in the due set (see drain). */
  private dueChecked = false;
  private readonly now: () => number;
  private readonly retryDelaysMs: number[];
  private readonly lockMs: number;
  private readonly running = new InFlight();
  /** Set by stop(): no attempt starts any more; the next process sends what is left. */
  private stopping = false;
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
    this.due = deliveryDueModel(deps.conn);
    this.dueWrites = GroupCommit.of(this.due.collection);
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
    const created = await insertOnce(this.deliveries.collection, doc);
    // Also when it was written before: by a caller that may have stopped before this line, and a
    // delivery must not stay out of the due set (drained by no process until one starts).
    await this.markDue(key, nextAt);
    if (!created) return false;
    if (nextAt.getTime() <= now && !this.stopping) {
      this.running
        .track(() => this.attempt(key, doc))
        .catch((err) => this.log.error({ key, error: errorMessage(err) }, 'outbox: attempt failed'));
    }
    return true;
  }

  /**
   * Sends the due pending deliveries, oldest first (also those whose attempt was abandoned by a
   * crashed process), one by one: the channels pace themselves. Returns how many it attempted.
   * It reads the due set, not the deliveries; a delivery whose process died between writing it
   * and adding it to the set is added by the first drain of each process, the one full read.
   */
  async drain(limit = 100): Promise<number> {
    if (!this.sender) return 0;
    if (!this.dueChecked) await this.checkDue();
    const due = await this.due
      .find({ at: { $lte: new Date(this.now()) } }, { _id: 1 })
      .sort({ at: 1 })
      .limit(limit)
      .lean<Pick<DeliveryDueDoc, '_id'>[]>();
    let attempted = 0;
    for (const { _id } of due) {
      if (this.stopping) break;
      // Tracked as the attempts `enqueue` starts are: stop() waits for it too.
      if (await this.running.track(() => this.attempt(_id))) attempted++;
    }
    return attempted;
  }

  /** Puts every pending delivery in the due set (once per process; deliveries written before it existed too). */
  private async checkDue(): Promise<void> {
    const pending = await this.deliveries
      .find({ status: 'pending' }, { _id: 1, nextAt: 1 })
      .lean<Pick<DeliveryDoc, '_id' | 'nextAt'>[]>();
    await Promise.all(pending.map((d) => this.markDue(d._id, d.nextAt)));
    this.dueChecked = true;
  }

  private async markDue(key: string, at: Date): Promise<void> {
    await insertOnce(this.due.collection, { _id: key, at });
  }

  /** Resolves when the background sends started so far are finished (tests). */
  idle(): Promise<void> {
    return this.running.settled();
  }

  /**
   * Starts no attempt any more, and waits at most `timeoutMs` for those running (false if they
   * outlast it). One abandoned half-way is attempted again by another process once its lock ends.
   */
  async stop(timeoutMs: number): Promise<boolean> {
    this.stopping = true;
    return this.running.drain(timeoutMs);
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
    if (!sender) return false;
    if (doc?.status !== 'pending') {
      // Finished (its process died before taking it out of the due set) or never written.
      await this.dueWrites.deleteById(key);
      return false;
    }
    if (!isDue(doc, now)) return false;
    const n = await this.take(doc, now);
    if (n === undefined) return false;
    if (n > this.retryDelaysMs.length + 1) {
      await this.fail(key, n - 1, 'every attempt was abandoned');
      return true;
    }
    const lockedUntil = new Date(now + this.lockMs);
    await Promise.all([
      this.deliveries.updateOne({ _id: key }, { $set: { attempts: n, lockedUntil } }),
      // If this process dies now, the drain looks again when the lock ends.
      this.dueWrites.updateById(key, { $set: { at: lockedUntil } }),
    ]);
    let outcome: SendOutcome;
    try {
      outcome = await send(sender, doc);
    } catch (err) {
      // What reached the person is not sent again: the next attempt sends the rest. A count that
      // names its identity counts from the first activity; one that does not, from where this
      // attempt began (a fixed conversation).
      const progress = sentAfter(doc, err);
      if (progress.sent >= activitiesOf(doc).length) outcome = 'sent';
      else {
        await this.retryOrFail(key, n, errorMessage(err).slice(0, 200), progress);
        return true;
      }
    }
    // Sent: if writing that down fails, no retry may follow (the lock holds others off meanwhile).
    try {
      await this.done(key, outcome);
      this.log.info({ key, attempt: n, outcome }, 'outbox: delivery done');
    } catch (err) {
      this.log.error({ key, attempt: n, err }, 'outbox: sent, but not recorded; recording again');
      await this.recordDone(key, outcome);
    }
    return true;
  }

  /** Records what became of a delivery, and takes it out of the due set. */
  private async done(key: string, outcome: SendOutcome): Promise<void> {
    await this.deliveries.updateOne(
      { _id: key },
      {
        $set: { status: outcome, ...(outcome === 'sent' ? { sentAt: new Date(this.now()) } : {}) },
        $unset: { lockedUntil: 1 },
      },
    );
    await this.dueWrites.deleteById(key);
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

  /**
   * Records a delivery sent, trying again for a quarter of its lock (the database coming back):
   * meanwhile the lock keeps other attempts off. Past that it is logged; a database away for the
   * whole lock may still see it sent twice, never lost.
   */
  private async recordDone(key: string, outcome: SendOutcome): Promise<void> {
    for (let delay = 1000; delay <= this.lockMs / 4; delay *= 2) {
      await sleep(delay);
      try {
        await this.done(key, outcome);
        return;
      } catch {}
    }
  }

  /** `progress`: how many of its activities have reached the person so far, and where. */
  private async retryOrFail(
    key: string,
    n: number,
    lastError: string,
    progress: Pick<DeliveryDoc, 'sent' | 'sentOn'>,
  ): Promise<void> {
    const delay = this.retryDelaysMs[n - 1];
    if (delay === undefined) return this.fail(key, n, lastError);
    const nextAt = new Date(this.now() + delay);
    await this.deliveries.updateOne(
      { _id: key },
      { $set: { nextAt, lastError, ...progress }, $unset: { lockedUntil: 1 } },
    );
    await this.dueWrites.updateById(key, { $set: { at: nextAt } });
    this.log.warn({ key, attempt: n, retryInMs: delay, error: lastError }, 'outbox: attempt failed');
  }

  private async fail(key: string, attempts: number, lastError: string): Promise<void> {
    await this.deliveries.updateOne(
      { _id: key },
      { $set: { status: 'failed', lastError }, $unset: { lockedUntil: 1 } },
    );
    await this.dueWrites.deleteById(key);
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

function activitiesOf(doc: DeliveryDoc): Partial<Activity>[] {
  return JSON.parse(doc.activities) as Partial<Activity>[];
}

/** How many of a delivery's activities have reached the person after an attempt failed with `err`, and where. */
function sentAfter(doc: DeliveryDoc, err: unknown): { sent: number; sentOn?: string } {
  const before = { sent: doc.sent ?? 0, ...(doc.sentOn ? { sentOn: doc.sentOn } : {}) };
  if (!(err instanceof PartlySentError)) return before;
  if (err.on !== undefined) return { sent: err.sent, sentOn: err.on };
  return { ...before, sent: before.sent + err.sent };
}

/** Sends what has not reached the person yet (to a person, where it went before: see Proactive.send). */
async function send(sender: DeliverySender, doc: DeliveryDoc): Promise<SendOutcome> {
  const activities = activitiesOf(doc);
  if ('personId' in doc.to) {
    const resume = doc.sent ? { sent: doc.sent, on: doc.sentOn } : undefined;
    return sender.toPerson(doc.to.personId, activities, resume);
  }
  await sender.toConversation(doc.to.channel, doc.to.conversation, activities.slice(doc.sent ?? 0));
  return 'sent';
}
