import { type Connection, Schema } from 'mongoose';
import { modelOn } from './model.js';

/**
 * One person on one channel. `_id` is `<channel>|<channel user id>`: unique, so two processes
 * creating the same identity at once end with one.
 */
export interface IdentityDoc {
  _id: string;
  channel: string;
  userId: string;
  personId: string;
  /** botbuilder ConversationReference, as plain JSON, for proactive sends. */
  conversation: Record<string, unknown>;
  unreachable: boolean;
  lastSeenAt: Date;
}

const schema = new Schema<IdentityDoc>(
  {
    _id: { type: String, required: true },
    channel: { type: String, required: true },
    userId: { type: String, required: true },
    personId: { type: String, required: true },
    conversation: { type: Schema.Types.Mixed, default: {} },
    unreachable: { type: Boolean, default: false },
    lastSeenAt: { type: Date, required: true },
  },
  { collection: 'identities', versionKey: false, minimize: false },
);
schema.index({ personId: 1 });

export function identityModel(conn: Connection) {
  return modelOn(conn, 'Identity', schema);
}

export function identityId(channel: string, userId: string): string {
  return `${channel}|${userId}`;
}
