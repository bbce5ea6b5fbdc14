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

/**
 * The buttons last sent to a chat (`_id`: the chat id). callback_data carries only `<key>:<n>`;
 * what a press means is read here, and a key that is no longer this chat's is stale.
 */
export interface TelegramKeyboardDoc {
  _id: string;
  key: string;
  buttons: Array<{ title: string; value: unknown }>;
  messageIds: number[];
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

const keyboards = new Schema<TelegramKeyboardDoc>(
  {
    _id: { type: String, required: true },
    key: { type: String, required: true },
    buttons: { type: Schema.Types.Mixed, default: [] },
    messageIds: { type: [Number], default: [] },
    at: { type: Date, required: true },
  },
  { collection: 'telegram_keyboards', versionKey: false, minimize: false },
);

export function telegramUpdateModel(conn: Connection) {
  return modelOn(conn, 'TelegramUpdate', updates);
}

export function telegramKeyboardModel(conn: Connection) {
  return modelOn(conn, 'TelegramKeyboard', keyboards);
}
