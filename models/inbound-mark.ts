import { type Connection, Schema } from 'mongoose';
import { modelOn } from './model.js';

/**
 * One per native inbound message (`<channel>|<native id>`). Inserting it is the dedupe: a
 * redelivery hits the unique `_id` and is dropped. Old marks are removed by a scheduled job.
 */
export interface InboundMarkDoc {
  _id: string;
  at: Date;
}

const schema = new Schema<InboundMarkDoc>(
  {
    _id: { type: String, required: true },
    at: { type: Date, required: true },
  },
  { collection: 'inbound_marks', versionKey: false },
);
schema.index({ at: 1 });

export function inboundMarkModel(conn: Connection) {
  return modelOn(conn, 'InboundMark', schema);
}
