import { type Connection, Schema } from 'mongoose';
import { modelOn } from './model.js';

export type Role = 'mentee' | 'mentor' | 'staff';
export type PersonStatus =
  | 'onboarding'
  | 'active'
  | 'paused'
  | 'declined_consent'
  | 'minor'
  | 'declined_charter';

/** A commune as stored on a profile: its INSEE code, its name and whether it is in the hub's area. */
export interface StoredCommune {
  code: string;
  name: string;
  inArea: boolean;
}

/** Profile answers, keyed by question id. Values are plain JSON. */
export type Profile = Record<string, string | string[] | StoredCommune>;

/** The latest decision of each kind, copied from the consent records so a turn reads it with the person. */
export interface ConsentSummary {
  decision: 'accepted' | 'refused' | 'withdrawn';
  version: string;
  at: Date;
}

/**
 * A mentee's proposal on screen or waiting for the mentor (`proposalId`) and their active pair
 * (`matchId`); a mentor's unanswered requests in a row (two: paused). Hints kept on the person for
 * reading: the proposals' claims decide.
 */
export interface MatchingPointers {
  proposalId?: string;
  matchId?: string;
  expiredInARow?: number;
  /**
   * A mentee's history, read with them: the mentors ever proposed to them (whatever became of it)
   * and those they passed. The proposals say it too, but finding them by mentee scans the whole
   * collection on FerretDB (0.5–0.9 s at 10,000 proposals), at every proposal after the first.
   */
  proposed?: string[];
  passed?: string[];
}

export interface PersonDoc {
  _id: string;
  role: Role;
  status: PersonStatus;
  locale: string;
  profile: Profile;
  /** false after "stop": no proactive message until "reprendre". */
  proactive: boolean;
  programme?: string;
  campaign?: string;
  lastChannel?: string;
  /** Ids of the person's channel identities, so they are read by `_id` (see services/people). */
  identities?: string[];
  consents?: { data_processing?: ConsentSummary; charter?: ConsentSummary; contact_sharing?: ConsentSummary };
  /** Where the person is in the matching, so a turn finds it by `_id` (see services/matchmaker). */
  matching?: MatchingPointers;
  createdAt: Date;
  updatedAt: Date;
}

const schema = new Schema<PersonDoc>(
  {
    _id: { type: String, required: true },
    role: { type: String, required: true, enum: ['mentee', 'mentor', 'staff'] },
    status: { type: String, required: true },
    locale: { type: String, required: true, default: 'fr' },
    profile: { type: Schema.Types.Mixed, default: {} },
    proactive: { type: Boolean, default: true },
    programme: String,
    campaign: String,
    lastChannel: String,
    identities: { type: [String], default: undefined },
    consents: { type: Schema.Types.Mixed, default: {} },
    matching: { type: Schema.Types.Mixed, default: undefined },
  },
  { collection: 'people', versionKey: false, timestamps: true, minimize: false },
);
schema.index({ role: 1, status: 1 });

export function personModel(conn: Connection) {
  return modelOn(conn, 'Person', schema);
}
