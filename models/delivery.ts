import type { ConversationReference } from 'botbuilder';
import { type Connection, Schema } from 'mongoose';
import { modelOn } from './model.js';

/** A person (the proactive sender picks their channel) or a fixed conversation (a staff channel). */
export type DeliveryTarget =
  | { personId: string }
  | { channel: string; conversation: Partial<ConversationReference> };

export type DeliveryStatus = 'pending' | 'sent' | 'stopped' | 'unreachable' | 'failed';

/**
 * One proactive message of the outbox (`_id`: its key, campaign or event + person, so it is
 * written once). Each attempt is claimed (`delivery|<key>|<n>`, models/claim.ts) before it sends.
 */
export interface DeliveryDoc {
  _id: string;
  to: DeliveryTarget;
  /** The activities as JSON text: cards and quick replies nest arrays, which FerretDB v1 refuses. */
  activities: string;
  status: DeliveryStatus;
  /** Attempts started. */
  attempts: number;
  /** How many of the activities reached the person in attempts that failed after them: not sent again. */
  sent?: number;
  /** The identity those went to (a person's delivery): sent elsewhere, they all go. */
  sentOn?: string;
  /** When it is due: the first send, or the next retry. */
  nextAt: Date;
  /** Set while an attempt runs: past it, the attempt is taken for abandoned (its process died). */
  lockedUntil?: Date;
  createdAt: Date;
  sentAt?: Date;
  /** The last error, short and without personal data. */
  lastError?: string;
}

const schema = new Schema<DeliveryDoc>(
  {
    _id: { type: String, required: true },
    to: { type: Schema.Types.Mixed, required: true },
    activities: { type: String, required: true },
    status: { type: String, required: true },
    attempts: { type: Number, required: true },
    sent: Number,
    sentOn: String,
    nextAt: { type: Date, required: true },
    lockedUntil: Date,
    createdAt: { type: Date, required: true },
    sentAt: Date,
    lastError: String,
  },
  { collection: 'deliveries', versionKey: false, minimize: false },
);
schema.index({ status: 1, nextAt: 1 });

export function deliveryModel(conn: Connection) {
  return modelOn(conn, 'Delivery', schema);
}

/**
 * The deliveries not finished yet, one per key (`at`: when the drain should look at it again), so
 * the drain reads this small set instead of every delivery of the last 30 days: on FerretDB any
 * query that is not by `_id` reads the whole collection (measured: 0.2 s of its CPU per query
 * over 1,000 documents, 2 s over 10,000).
 */
export interface DeliveryDueDoc {
  _id: string;
  at: Date;
}

const dueSchema = new Schema<DeliveryDueDoc>(
  { _id: { type: String, required: true }, at: { type: Date, required: true } },
  { collection: 'deliveries_due', versionKey: false },
);

export function deliveryDueModel(conn: Connection) {
  return modelOn(conn, 'DeliveryDue', dueSchema);
}
