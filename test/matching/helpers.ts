import type { MatchingConfig } from '../../bot/matching/config.js';
import { prepareMentee, type ScoreContext } from '../../bot/matching/mentee.js';
import { indexMentors } from '../../bot/matching/mentors.js';
import type { MenteeCandidate, MentorCandidate } from '../../bot/matching/profile.js';
import { explainPair, type PairExplanation, scoreRow } from '../../bot/matching/score.js';
import type { Profile } from '../../models/person.js';
import { CLAIRE_PROFILE, LEA_PROFILE } from '../helpers/journey.js';

export function mentee(profile: Profile = {}, more: Partial<MenteeCandidate> = {}): MenteeCandidate {
  return { id: 'lea', profile: { ...LEA_PROFILE, ...profile }, charterAccepted: true, ...more };
}

export function mentor(profile: Profile = {}, more: Partial<MentorCandidate> = {}): MentorCandidate {
  return {
    id: 'claire',
    profile: { ...CLAIRE_PROFILE, ...profile },
    paused: false,
    activeMentees: 0,
    charterAccepted: true,
    ...more,
  };
}

export const AUBAGNE = { code: '13005', name: 'Aubagne', inArea: true };
export const MARSEILLE_5 = { code: '13205', name: 'Marseille 5e Arrondissement', inArea: true };
export const ARLES = { code: '13004', name: 'Arles', inArea: true };

/**
 * The explanation of one pair, after checking that the fast row scoring gives the same score (or
 * filters it): the two computations must never drift apart.
 */
export function explain(
  e: MenteeCandidate,
  m: MentorCandidate,
  context: ScoreContext = {},
  config?: MatchingConfig,
): PairExplanation & { filtered: boolean } {
  const index = indexMentors([m], config);
  const prepared = prepareMentee(e, index, context);
  const row = new Int32Array(1);
  scoreRow(prepared, row);
  const explained = explainPair(prepared, 0);
  if ((row[0] as number) >= 0 && row[0] !== explained.score)
    throw new Error(`scoreRow ${row[0]} ≠ explainPair ${explained.score}`);
  return { ...explained, filtered: (row[0] as number) < 0 };
}

/**
 * The best (total score, then number matched) over every assignment of a small problem: rows of
 * scores (< 0: forbidden), each column taking at most its capacity.
 */
export function bruteForce(
  scores: ReadonlyArray<ArrayLike<number>>,
  capacities: readonly number[],
): { total: number; matched: number } {
  const left = [...capacities];
  let best = { total: -1, matched: -1 };
  const visit = (i: number, total: number, matched: number) => {
    if (i === scores.length) {
      if (total > best.total || (total === best.total && matched > best.matched)) best = { total, matched };
      return;
    }
    visit(i + 1, total, matched);
    Array.from(scores[i] as ArrayLike<number>).forEach((s, j) => {
      if (s < 0 || (left[j] as number) <= 0) return;
      left[j] = (left[j] as number) - 1;
      visit(i + 1, total + s, matched + 1);
      left[j] = (left[j] as number) + 1;
    });
  };
  visit(0, 0, 0);
  return best;
}
