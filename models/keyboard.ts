import { type Connection, Schema } from 'mongoose';
import { modelOn } from './model.js';

/**
 * Buttons sent to one chat of one channel: the chat's last question (`_id`: `<channel>|<chat>`),
 * or a standalone card, kept on its own (`<channel>|<chat>|<key>`), as a multi-select question's is
 * once another question replaces it (closed, for the presses already on their way). Buttons carry only
 * `<key>:<n>`; what a press means is read here. See channels/shared/keyboards.ts.
 */
export interface KeyboardDoc {
  _id: string;
  key: string;
  buttons: Array<{ title: string; value: unknown }>;
  /** The messages that carry these buttons (Telegram message ids, Slack ts), as strings. */
  messageIds: string[];
  /**
   * Aligned with messageIds: how each message looked, as JSON text, for channels that must
   * resend a message whole to take its buttons off (Slack's chat.update); '' when not needed.
   */
  shown?: string[];
  /** A multi-select question's: each of its buttons may be pressed once (see KeyboardStore.press). */
  multi?: boolean;
  at: Date;
}

const schema = new Schema<KeyboardDoc>(
  {
    _id: { type: String, required: true },
    key: { type: String, required: true },
    buttons: { type: Schema.Types.Mixed, default: [] },
    messageIds: { type: [String], default: [] },
    shown: { type: [String], default: undefined },
    multi: { type: Boolean, default: undefined },
    at: { type: Date, required: true },
  },
  { collection: 'keyboards', versionKey: false, minimize: false },
);

export function keyboardModel(conn: Connection) {
  return modelOn(conn, 'Keyboard', schema);
}
