/**
 * The staff's cohort assignment: for all waiting mentees and all mentors with places left, the
 * assignment with the highest total score (then the most mentees matched) on pairs that pass the
 * hard filters, so that the first to sign up does not take the best mentors from everyone else;
 * and, for comparison in the staff's output, what proposing greedily in sign-up order would give.
 */
import {
  type Assignment,
  type AssignmentProblem,
  greedyAssignment,
  type SolveStats,
  solveAssignment,
} from './assignment.js';
import { type FilterContext, splitPairKey } from './filters.js';
import { menteeFeatures, prepareMentee } from './mentee.js';
import { indexMentors, type MentorIndex } from './mentors.js';
import type { Penalties } from './penalties.js';
import { capacity, type MenteeCandidate, type MentorCandidate } from './profile.js';
import { scoreRow } from './score.js';

export interface CohortContext extends FilterContext {
  /** Per mentee id: the penalties of the mentors they passed. */
  penalties?: ReadonlyMap<string, Penalties>;
}

export interface CohortPair {
  menteeId: string;
  mentorId: string;
  score: number;
}

export interface CohortTotals {
  total: number;
  matched: number;
}

export interface CohortResult extends CohortTotals {
  pairs: CohortPair[];
  /** Waiting mentees the assignment gives no mentor (staff are told). */
  unmatched: string[];
  /** The greedy baseline on the same pairs: mentees in the order given, each taking their best. */
  greedy: CohortTotals;
  stats: SolveStats;
}

/** The excluded pairs of each mentee, so that preparing one mentee reads only their own. */
function excludedByMentee(excluded: ReadonlySet<string> | undefined): Map<string, Set<string>> {
  const byMentee = new Map<string, Set<string>>();
  for (const key of excluded ?? []) {
    const menteeId = splitPairKey(key)?.[0];
    if (menteeId === undefined) continue;
    const own = byMentee.get(menteeId);
    if (own === undefined) byMentee.set(menteeId, new Set([key]));
    else own.add(key);
  }
  return byMentee;
}

/** The assignment problem of these mentees and this index: scores row by row, filters as < 0. */
export function cohortProblem(
  mentees: readonly MenteeCandidate[],
  index: MentorIndex,
  context: CohortContext = {},
): AssignmentProblem {
  const excluded = excludedByMentee(context.excluded);
  // Read once per mentee, not once per row: the solver asks for each row two or three times.
  const features = mentees.map(menteeFeatures);
  return {
    mentees: mentees.length,
    capacities: Int32Array.from(index.mentors, (m) => Math.max(0, capacity(m.profile) - m.activeMentees)),
    scoreRow(i, out) {
      const mentee = mentees[i] as MenteeCandidate;
      const own = { excluded: excluded.get(mentee.id), penalties: context.penalties?.get(mentee.id) };
      const m = prepareMentee(mentee, index, own, features[i]);
      scoreRow(m, out);
    },
  };
}

function pairsOf(a: Assignment, mentees: readonly MenteeCandidate[], index: MentorIndex) {
  const pairs: CohortPair[] = [];
  const unmatched: string[] = [];
  a.mentorOf.forEach((j, i) => {
    const menteeId = (mentees[i] as MenteeCandidate).id;
    if (j < 0) unmatched.push(menteeId);
    else
      pairs.push({
        menteeId,
        mentorId: (index.mentors[j] as MentorCandidate).id,
        score: a.scoreOf[i] as number,
      });
  });
  return { pairs, unmatched };
}

/**
 * The cohort assignment of `mentees` (in sign-up order: the greedy baseline follows it) to
 * `mentors`, with the greedy baseline's totals beside it.
 */
export function assignCohort(
  mentees: readonly MenteeCandidate[],
  mentors: MentorIndex | readonly MentorCandidate[],
  context: CohortContext = {},
): CohortResult {
  const index = Array.isArray(mentors) ? indexMentors(mentors) : (mentors as MentorIndex);
  const problem = cohortProblem(mentees, index, context);
  const best = solveAssignment(problem);
  const greedy = greedyAssignment(problem);
  return {
    ...pairsOf(best, mentees, index),
    total: best.total,
    matched: best.matched,
    greedy: { total: greedy.total, matched: greedy.matched },
    stats: best.stats,
  };
}
