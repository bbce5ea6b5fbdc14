import { type Connection, Schema } from 'mongoose';
import { insertOnce } from '../bot/db/insert-once.js';
import { modelOn } from './model.js';

/**
 * One per native inbound message (`<channel>|<native id>`). Inserting it is the dedupe: a
 * redelivery hits the unique `_id` and is dropped. Old marks are removed by a scheduled job.
 */
export interface InboundMarkDoc {
  _id: string;
  at: Date;
  /** Who took it, for a right taken on someone's behalf (see markFor). */
  by?: string;
}

const schema = new Schema<InboundMarkDoc>(
  {
    _id: { type: String, required: true },
    at: { type: Date, required: true },
    by: String,
  },
  { collection: 'inbound_marks', versionKey: false },
);
schema.index({ at: 1 });

export function inboundMarkModel(conn: Connection) {
  return modelOn(conn, 'InboundMark', schema);
}

/**
 * Records `id` once (`<channel>|<native id>`, or a right to take once that may be forgotten after a
 * week, such as a button press): false when it was already there.
 */
export function mark(conn: Connection, id: string): Promise<boolean> {
  return insertOnce(inboundMarkModel(conn).collection, { _id: id, at: new Date() });
}

/**
 * Like `mark`, for a right taken on behalf of `by` (a Telegram update): true again for the same
 * `by`, so that its retry (after a failure half-way, or its process died) finds the right its own.
 */
export async function markFor(conn: Connection, id: string, by: string): Promise<boolean> {
  if (await insertOnce(inboundMarkModel(conn).collection, { _id: id, at: new Date(), by })) return true;
  return (await markedBy(conn, id)) === by;
}

/** On whose behalf `id` was recorded (see markFor). */
export async function markedBy(conn: Connection, id: string): Promise<string | undefined> {
  return (await inboundMarkModel(conn).findById(id, { by: 1 }).lean<Pick<InboundMarkDoc, 'by'>>())?.by;
}

/** Attempts `markAttempt` takes at most. */
export const MAX_ATTEMPTS = 30;

/**
 * Takes attempt n of something that may have to be tried again, such as recovering what a
 * process left: the mark `<id>|<n>` for the first n not taken, unless attempt n-1 was taken less
 * than `freshMs` ago (whoever took it is still at it, or will be tried again once it is older):
 * then false. Each attempt is a unique insert, so two processes never both get the same one,
 * whatever minute their clocks say; a later attempt has to wait for the earlier to age. After
 * `max` attempts, false for good: what failed that often fails for a reason of its own (and the
 * reads stay bounded; the attempts are long taken before the retention job forgets the first).
 */
export async function markAttempt(
  conn: Connection,
  id: string,
  freshMs: number,
  max = MAX_ATTEMPTS,
): Promise<boolean> {
  const marks = inboundMarkModel(conn);
  for (let n = 1; n <= max; n++) {
    const taken = await marks.findById(`${id}|${n}`, { at: 1 }).lean<Pick<InboundMarkDoc, 'at'>>();
    // Dated by the clock that judges its age.
    if (!taken) return insertOnce(marks.collection, { _id: `${id}|${n}`, at: new Date(Date.now()) });
    if (taken.at.getTime() > Date.now() - freshMs) return false;
  }
  return false;
}

/** Gives back a right recorded by `mark` (the step it was taken for failed). */
export async function unmark(conn: Connection, id: string): Promise<void> {
  await inboundMarkModel(conn).deleteOne({ _id: id });
}

/** Whether `id` was recorded (see `mark`). */
export async function isMarked(conn: Connection, id: string): Promise<boolean> {
  return (await inboundMarkModel(conn).exists({ _id: id })) !== null;
}
