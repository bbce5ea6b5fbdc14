/**
 * The best mentors for one mentee, with their reasons: filter, score, keep the top N. One pass over
 * the MentorIndex with no allocation per mentor; reasons are worked out for the top N only.
 */
import { FILTER_REASONS, type FilterReason } from './filters.js';
import { prepareMentee, type ScoreContext } from './mentee.js';
import { indexMentors, type MentorIndex } from './mentors.js';
import type { MenteeCandidate, MentorCandidate } from './profile.js';
import { type Reason, reasonsFor } from './reasons.js';
import { explainPair, scoreRow } from './score.js';

export interface RankContext extends ScoreContext {
  /** How many mentors to return (default: config.topN). */
  limit?: number;
}

export interface RankedMentor {
  mentorId: string;
  score: number;
  /** Points taken off for resembling mentors the mentee passed (already deducted from score). */
  penalty: number;
  reasons: Reason[];
}

export interface RankResult {
  /** Best first; ties keep the order of the mentors given. */
  mentors: RankedMentor[];
  /** Mentors that passed the filters. */
  eligible: number;
  /** How many mentors each filter set aside (for logs and the staff's "nobody left" alert). */
  filtered: Record<FilterReason, number>;
}

function isIndex(mentors: MentorIndex | readonly MentorCandidate[]): mentors is MentorIndex {
  return !Array.isArray(mentors);
}

/** The positions of the `limit` best scores, best first, earlier mentors first among equals. */
class TopN {
  readonly at: Int32Array;
  readonly scores: Float64Array;
  size = 0;
  constructor(readonly limit: number) {
    this.at = new Int32Array(limit);
    this.scores = new Float64Array(limit);
  }
  offer(j: number, score: number): void {
    if (this.size === this.limit && score <= (this.scores[this.size - 1] as number)) return;
    let i = this.size < this.limit ? this.size++ : this.size - 1;
    for (; i > 0 && (this.scores[i - 1] as number) < score; i--) {
      this.scores[i] = this.scores[i - 1] as number;
      this.at[i] = this.at[i - 1] as number;
    }
    this.scores[i] = score;
    this.at[i] = j;
  }
}

/**
 * The `limit` best mentors for `mentee`. Pass a MentorIndex (indexMentors) to rank many mentees
 * against the same mentors; a plain list is indexed on the spot.
 */
export function rank(
  mentee: MenteeCandidate,
  mentors: MentorIndex | readonly MentorCandidate[],
  context: RankContext = {},
): RankResult {
  const index = isIndex(mentors) ? mentors : indexMentors(mentors);
  const m = prepareMentee(mentee, index, context);
  const top = new TopN(Math.max(0, Math.min(context.limit ?? index.config.topN, index.size)));
  const filtered = new Int32Array(FILTER_REASONS.length);
  const scores = new Int32Array(index.size);
  scoreRow(m, scores);
  let eligible = 0;
  for (let j = 0; j < index.size; j++) {
    const score = scores[j] as number;
    if (score < 0) {
      const reason = -score - 1;
      filtered[reason] = (filtered[reason] as number) + 1;
      continue;
    }
    eligible++;
    if (top.limit > 0) top.offer(j, score);
  }
  const ranked: RankedMentor[] = [];
  for (let i = 0; i < top.size; i++) {
    const j = top.at[i] as number;
    const e = explainPair(m, j);
    ranked.push({
      mentorId: (index.mentors[j] as MentorCandidate).id,
      score: e.score,
      penalty: e.penalty,
      reasons: reasonsFor(m, e),
    });
  }
  return {
    mentors: ranked,
    eligible,
    filtered: Object.fromEntries(FILTER_REASONS.map((r, i) => [r, filtered[i] as number])) as Record<
      FilterReason,
      number
    >,
  };
}
