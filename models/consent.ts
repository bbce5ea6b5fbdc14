import { type Connection, Schema } from 'mongoose';
import { modelOn } from './model.js';

/** `contact_sharing`: which contact details a person agreed to pass on to their new pair. */
export type ConsentKind = 'data_processing' | 'charter' | 'contact_sharing';
export type ConsentDecision = 'accepted' | 'refused' | 'withdrawn';

/**
 * A decision on a text, kept as proof: which text (kind, version, SHA-256 of the exact text in
 * the person's locale), on which channel, when. Records are only ever added; the latest counts.
 */
export interface ConsentDoc {
  _id: string;
  personId: string;
  kind: ConsentKind;
  decision: ConsentDecision;
  version: string;
  locale: string;
  textHash: string;
  channel: string;
  at: Date;
}

const schema = new Schema<ConsentDoc>(
  {
    _id: { type: String, required: true },
    personId: { type: String, required: true },
    kind: { type: String, required: true, enum: ['data_processing', 'charter', 'contact_sharing'] },
    decision: { type: String, required: true, enum: ['accepted', 'refused', 'withdrawn'] },
    version: { type: String, required: true },
    locale: { type: String, required: true },
    textHash: { type: String, required: true },
    channel: { type: String, required: true },
    at: { type: Date, required: true },
  },
  { collection: 'consents', versionKey: false },
);
schema.index({ personId: 1, kind: 1, at: -1 });

export function consentModel(conn: Connection) {
  return modelOn(conn, 'Consent', schema);
}
