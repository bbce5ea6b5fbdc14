import { type Connection, Schema } from 'mongoose';
import { modelOn } from './model.js';

/**
 * The mentor the staff's last cohort run (`npm run staff -- cohort --apply`) chose for one mentee
 * (`_id`: the mentee), so that their next proposal follows the assignment that is best for the
 * whole cohort rather than their own ranking. One run replaces the whole plan.
 */
export interface CohortPlanDoc {
  _id: string;
  mentorId: string;
  score: number;
  runId: string;
  createdAt: Date;
}

const schema = new Schema<CohortPlanDoc>(
  {
    _id: { type: String, required: true },
    mentorId: { type: String, required: true },
    score: { type: Number, required: true },
    runId: { type: String, required: true },
    createdAt: { type: Date, required: true },
  },
  { collection: 'cohort_plans', versionKey: false },
);

export function cohortPlanModel(conn: Connection) {
  return modelOn(conn, 'CohortPlan', schema);
}

/**
 * The mentor planned for this mentee, read by `_id`. A plan can be older than the mentee's
 * latest proposals or the mentor's latest match: the caller checks that the pair was never
 * proposed and that the mentor still has a place, and falls back to the mentee's ranking.
 */
export async function plannedMentor(
  conn: Connection,
  menteeId: string,
): Promise<{ mentorId: string; score: number } | undefined> {
  const plan = await cohortPlanModel(conn).findById(menteeId).lean<CohortPlanDoc>();
  return plan ? { mentorId: plan.mentorId, score: plan.score } : undefined;
}

/**
 * Writes the plan of run `runId`: one document per pair, replacing the mentee's previous one,
 * then removes every plan of earlier runs (mentees who got no mentor this time, or who no longer
 * wait).
 */
export async function savePlan(
  conn: Connection,
  plan: {
    runId: string;
    createdAt: Date;
    pairs: ReadonlyArray<{ menteeId: string; mentorId: string; score: number }>;
  },
): Promise<void> {
  const model = cohortPlanModel(conn);
  const { runId, createdAt } = plan;
  if (plan.pairs.length > 0) {
    await model.bulkWrite(
      plan.pairs.map(({ menteeId, mentorId, score }) => ({
        replaceOne: {
          filter: { _id: menteeId },
          replacement: { _id: menteeId, mentorId, score, runId, createdAt },
          upsert: true,
        },
      })),
    );
  }
  await model.deleteMany({ runId: { $ne: runId } });
}
