import { type Connection, Schema } from 'mongoose';
import { modelOn } from './model.js';

export type MatchStatus = 'active' | 'ended';

/**
 * A mentee and a mentor who both said yes (`_id`: the proposal's). `seat` is the place of the
 * mentor's capacity it holds (claim `seat|<mentor>|<n>`), so a capacity can never be exceeded.
 */
export interface MatchDoc {
  _id: string;
  menteeId: string;
  mentorId: string;
  seat: number;
  status: MatchStatus;
  outcome?: 'job' | 'business' | 'ended';
  createdAt: Date;
}

const schema = new Schema<MatchDoc>(
  {
    _id: { type: String, required: true },
    menteeId: { type: String, required: true },
    mentorId: { type: String, required: true },
    seat: { type: Number, required: true },
    status: { type: String, required: true },
    outcome: String,
    createdAt: { type: Date, required: true },
  },
  { collection: 'matches', versionKey: false },
);
schema.index({ mentorId: 1, status: 1 });
schema.index({ menteeId: 1, status: 1 });

export function matchModel(conn: Connection) {
  return modelOn(conn, 'Match', schema);
}
