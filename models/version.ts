import { type Connection, Schema } from 'mongoose';
import { modelOn } from './model.js';

/**
 * A counter that processes read by `_id` to learn that something they keep in memory changed in
 * another process (`_id`: what it versions, e.g. `mentor_index`).
 */
export interface VersionDoc {
  _id: string;
  v: number;
}

const schema = new Schema<VersionDoc>(
  { _id: { type: String, required: true }, v: { type: Number, required: true } },
  { collection: 'versions', versionKey: false },
);

export function versionModel(conn: Connection) {
  return modelOn(conn, 'Version', schema);
}
