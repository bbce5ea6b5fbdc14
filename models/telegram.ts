import { type Connection, Schema } from 'mongoose';
import { modelOn } from './model.js';

/**
 * One per Telegram update received (`_id`: the update_id). Inserting it is what acknowledges the
 * update safely and drops a redelivery; the raw update is kept only until it is processed.
 */
export interface TelegramUpdateDoc {
  _id: number;
  chat: string;
  state: 'pending' | 'done';
  /** The update as received, as JSON text (FerretDB v1 refuses nested arrays such as keyboards). */
  raw?: string;
  at: Date;
}

const updates = new Schema<TelegramUpdateDoc>(
  {
    _id: { type: Number, required: true },
    chat: { type: String, required: true },
    state: { type: String, required: true },
    raw: String,
    at: { type: Date, required: true },
  },
  { collection: 'telegram_updates', versionKey: false },
);
updates.index({ state: 1, at: 1 });

export function telegramUpdateModel(conn: Connection) {
  return modelOn(conn, 'TelegramUpdate', updates);
}
