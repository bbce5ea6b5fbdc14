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
