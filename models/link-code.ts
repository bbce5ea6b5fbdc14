import { type Connection, Schema } from 'mongoose';
import { modelOn } from './model.js';

/**
 * A one-time code that lets a person go on in another channel (`_id`: the code). Used codes are
 * told apart by a claim (a unique insert), never by updating this document.
 */
export interface LinkCodeDoc {
  _id: string;
  personId: string;
  expiresAt: Date;
}

const schema = new Schema<LinkCodeDoc>(
  {
    _id: { type: String, required: true },
    personId: { type: String, required: true },
    expiresAt: { type: Date, required: true },
  },
  { collection: 'link_codes', versionKey: false },
);
schema.index({ expiresAt: 1 });

export function linkCodeModel(conn: Connection) {
  return modelOn(conn, 'LinkCode', schema);
}
