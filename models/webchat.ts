import { type Connection, Schema } from 'mongoose';
import { modelOn } from './model.js';

/** A Direct Line conversation of the web chat, bound to one web chat user. */
export interface WebchatConversationDoc {
  _id: string;
  userId: string;
  createdAt: Date;
}

/**
 * One activity of a Direct Line conversation, user's or bot's. `_id` is `<conversation>#<seq>`:
 * the unique `_id` hands out each watermark once, across processes. The activity is JSON text.
 */
export interface WebchatActivityDoc {
  _id: string;
  conversationId: string;
  seq: number;
  json: string;
  at: Date;
}

const conversationSchema = new Schema<WebchatConversationDoc>(
  {
    _id: { type: String, required: true },
    userId: { type: String, required: true },
    createdAt: { type: Date, required: true },
  },
  { collection: 'webchat_conversations', versionKey: false },
);

const activitySchema = new Schema<WebchatActivityDoc>(
  {
    _id: { type: String, required: true },
    conversationId: { type: String, required: true },
    seq: { type: Number, required: true },
    json: { type: String, required: true },
    at: { type: Date, required: true },
  },
  { collection: 'webchat_activities', versionKey: false },
);
activitySchema.index({ conversationId: 1, seq: 1 });
activitySchema.index({ at: 1 });

export function webchatConversationModel(conn: Connection) {
  return modelOn(conn, 'WebchatConversation', conversationSchema);
}

export function webchatActivityModel(conn: Connection) {
  return modelOn(conn, 'WebchatActivity', activitySchema);
}
