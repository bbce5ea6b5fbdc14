import { type Connection, Schema } from 'mongoose';
import { modelOn } from './model.js';

/** A Direct Line conversation of the web chat, bound to one web chat user. */
export interface WebchatConversationDoc {
  _id: string;
  userId: string;
  createdAt: Date;
}

const conversationSchema = new Schema<WebchatConversationDoc>(
  {
    _id: { type: String, required: true },
    userId: { type: String, required: true },
    createdAt: { type: Date, required: true },
  },
  { collection: 'webchat_conversations', versionKey: false },
);

export function webchatConversationModel(conn: Connection) {
  return modelOn(conn, 'WebchatConversation', conversationSchema);
}
