import { type Connection, Schema } from 'mongoose';
import { modelOn } from './model.js';

export type ProposalStatus =
  | 'proposed'
  | 'mentee_interested'
  | 'mentee_passed'
  | 'mentor_accepted'
  | 'mentor_declined'
  | 'mentor_full'
  /** The mentor paused (themselves, or after two requests left unanswered) while it waited. */
  | 'mentor_paused'
  | 'expired'
  /**
   * Taken back before the mentee answered (its mentor could no longer be asked), or while its
   * request waited because the mentee started their profile again.
   */
  | 'withdrawn';

/** A reason as stored: a locale key of the 'matching' namespace and its parameters. */
export interface StoredReason {
  key: string;
  params?: Record<string, unknown>;
}

/**
 * One mentor proposed to one mentee (`_id`: `<mentee>|<mentor>`, so a pair is never proposed
 * twice). `status` mirrors the decisions, each of which is a claim (models/claim.ts): the claim
 * is the truth when two decisions race (an acceptance and the deadline).
 */
export interface ProposalDoc {
  _id: string;
  menteeId: string;
  mentorId: string;
  score: number;
  reasons: StoredReason[];
  status: ProposalStatus;
  createdAt: Date;
  /** When the mentor must have answered by (set when the mentee says "ça m'intéresse"). */
  deadline?: Date;
  remindAt?: Date;
  /** When the reminder went out (the job skips the request after that). */
  remindedAt?: Date;
  /** When the mentee said "ça m'intéresse", and when the mentor answered (their responsiveness). */
  requestedAt?: Date;
  answeredAt?: Date;
  declineReason?: string;
  matchId?: string;
}

const schema = new Schema<ProposalDoc>(
  {
    _id: { type: String, required: true },
    menteeId: { type: String, required: true },
    mentorId: { type: String, required: true },
    score: { type: Number, required: true },
    reasons: { type: Schema.Types.Mixed, default: [] },
    status: { type: String, required: true },
    createdAt: { type: Date, required: true },
    deadline: Date,
    remindAt: Date,
    remindedAt: Date,
    requestedAt: Date,
    answeredAt: Date,
    declineReason: String,
    matchId: String,
  },
  { collection: 'proposals', versionKey: false, minimize: false },
);
schema.index({ menteeId: 1 });
schema.index({ mentorId: 1, status: 1 });
schema.index({ status: 1, deadline: 1 });

export function proposalModel(conn: Connection) {
  return modelOn(conn, 'Proposal', schema);
}

export function proposalId(menteeId: string, mentorId: string): string {
  return `${menteeId}|${mentorId}`;
}
