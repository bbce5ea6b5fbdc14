import { type Connection, Schema } from 'mongoose';
import { modelOn } from './model.js';

/** A Direct Line conversation of the web chat, bound to one web chat user. */
export interface WebchatConversationDoc {
  _id: string;
  userId: string;
  createdAt: Date;
  /**
   * SHA-256 (hex) of the key the widget holds to take the conversation back with an expired
   * token (POST /webchat/token): a token alone, seen in a log, does not do it.
   */
  resumeHash?: string;
}

const conversationSchema = new Schema<WebchatConversationDoc>(
  {
    _id: { type: String, required: true },
    userId: { type: String, required: true },
    createdAt: { type: Date, required: true },
    resumeHash: String,
  },
  { collection: 'webchat_conversations', versionKey: false },
);

export function webchatConversationModel(conn: Connection) {
  return modelOn(conn, 'WebchatConversation', conversationSchema);
}
