import { type Connection, Schema } from 'mongoose';
import { modelOn } from './model.js';

/**
 * botbuilder state, one immutable document per (storage key, revision). A new revision is an
 * insert whose `_id` is `<key>@<rev>`, so the unique `_id` makes compare-and-set atomic on every
 * server, including FerretDB v1, whose conditional updates are a read then a write and can both
 * succeed under concurrency. The state is kept as a JSON string: it round-trips exactly, and keys
 * inside it need not be valid MongoDB field names.
 */
export interface BotStateDoc {
  _id: string;
  key: string;
  rev: number;
  json: string;
  at: Date;
}

const schema = new Schema<BotStateDoc>(
  {
    _id: { type: String, required: true },
    key: { type: String, required: true },
    rev: { type: Number, required: true },
    json: { type: String, required: true },
    at: { type: Date, required: true },
  },
  { collection: 'bot_state', versionKey: false },
);
schema.index({ key: 1, rev: -1 });

export function botStateModel(conn: Connection) {
  return modelOn(conn, 'BotState', schema);
}
