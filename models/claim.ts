import { type Connection, Schema } from 'mongoose';
import { insertOnce } from '../bot/db/insert-once.js';
import { modelOn } from './model.js';

/**
 * A right taken once (`_id`: what it is the right to): inserting the document is the atomic
 * compare-and-set of the storage rules, on MongoDB and on FerretDB alike, whose findOneAndUpdate
 * is a read followed by a write. `value` says what the winner did with it.
 */
export interface ClaimDoc {
  _id: string;
  value?: string;
  at: Date;
}

const schema = new Schema<ClaimDoc>(
  { _id: { type: String, required: true }, value: String, at: { type: Date, required: true } },
  { collection: 'claims', versionKey: false },
);

export function claimModel(conn: Connection) {
  return modelOn(conn, 'Claim', schema);
}

/** Takes `id` for `value`; false when someone (any process) already has it. */
export function claim(conn: Connection, id: string, value?: string): Promise<boolean> {
  return insertOnce(claimModel(conn).collection, { _id: id, value, at: new Date() });
}

/** What the holder of `id` did with it, if it is taken. */
export async function claimed(conn: Connection, id: string): Promise<ClaimDoc | null> {
  return claimModel(conn).findById(id).lean<ClaimDoc>();
}

/** Gives `id` back (a step after the claim failed, or a seat freed). */
export async function release(conn: Connection, id: string): Promise<void> {
  await claimModel(conn).deleteOne({ _id: id });
}
