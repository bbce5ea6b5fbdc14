import { type Connection, Schema } from 'mongoose';
import { modelOn } from './model.js';

export type AlertKind = 'no_candidate' | 'mentor_paused' | 'contact_via_hub';

/**
 * Something staff should look at (a mentee nobody can be proposed to, a mentor paused after two
 * unanswered requests). `_id` is `<kind>|<subject>|<day>`: raised once a day at most per subject.
 * Kept for the staff dashboard; also posted to the staff's Slack channel when configured.
 */
export interface AlertDoc {
  _id: string;
  kind: AlertKind;
  /** The person it is about. */
  personId: string;
  params: Record<string, string | number>;
  at: Date;
  /** Set when a staff member dealt with it (staff tools). */
  handledAt?: Date;
}

const schema = new Schema<AlertDoc>(
  {
    _id: { type: String, required: true },
    kind: { type: String, required: true },
    personId: { type: String, required: true },
    params: { type: Schema.Types.Mixed, default: {} },
    at: { type: Date, required: true },
    handledAt: Date,
  },
  { collection: 'alerts', versionKey: false, minimize: false },
);

export function alertModel(conn: Connection) {
  return modelOn(conn, 'Alert', schema);
}
