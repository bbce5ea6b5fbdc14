import { type Connection, Schema } from 'mongoose';
import { modelOn } from './model.js';

/**
 * A request waiting for its mentor's answer (`_id`: the proposal's), so that the deadline job,
 * a mentor's places and their App Home read this small set rather than every proposal ever made:
 * on FerretDB a query that is not by `_id` reads the whole collection (measured: 0.2 s of its CPU
 * per query over 1,000 proposals, 2 s over 10,000). The proposal stays the truth: an entry is
 * checked against it when read (services/open-requests.ts).
 */
export interface OpenRequestDoc {
  _id: string;
  mentorId: string;
  menteeId: string;
  requestedAt: Date;
  deadline: Date;
  remindAt: Date;
  remindedAt?: Date;
}

const schema = new Schema<OpenRequestDoc>(
  {
    _id: { type: String, required: true },
    mentorId: { type: String, required: true },
    menteeId: { type: String, required: true },
    requestedAt: { type: Date, required: true },
    deadline: { type: Date, required: true },
    remindAt: { type: Date, required: true },
    remindedAt: Date,
  },
  { collection: 'proposals_open', versionKey: false },
);

export function openRequestModel(conn: Connection) {
  return modelOn(conn, 'OpenRequest', schema);
}
