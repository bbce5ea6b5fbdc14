import { type Connection, Schema } from 'mongoose';
import { modelOn } from './model.js';

/**
 * An entry of an append-only log (bot state revisions, web chat transcripts). `_id` is
 * `<key>#<seq>`: inserting it is the atomic claim of that sequence number on every server, and
 * reading it is a primary-key lookup, the only query FerretDB v1's SQLite backend does not
 * answer with a full scan.
 */
export interface LogEntryDoc {
  _id: string;
  json: string;
  at: Date;
}

/** The highest seq known for a key: a hint, possibly behind, never ahead. */
export interface LogHeadDoc {
  _id: string;
  seq: number;
}

const entrySchema = new Schema<LogEntryDoc>(
  {
    _id: { type: String, required: true },
    json: { type: String, required: true },
    at: { type: Date, required: true },
  },
  { versionKey: false },
);

const headSchema = new Schema<LogHeadDoc>(
  { _id: { type: String, required: true }, seq: { type: Number, required: true } },
  { versionKey: false },
);

export function logModels(conn: Connection, collection: string) {
  return {
    entries: modelOn(conn, `Log_${collection}`, entrySchema.clone().set('collection', collection)),
    heads: modelOn(
      conn,
      `LogHead_${collection}`,
      headSchema.clone().set('collection', `${collection}_heads`),
    ),
  };
}
