/**
 * The hard filters: pairs that are never proposed, whatever their score. Each filtered pair gets
 * one reason (the first that applies, in the order of FILTER_REASONS) for tests, logs and the
 * staff's "why is nobody proposed to her?".
 */
import {
  capacity,
  listMask,
  type MenteeCandidate,
  type MentorCandidate,
  OTHER_LANGUAGE,
  values,
} from './profile.js';

export const FILTER_REASONS = [
  /** The mentee has not accepted the current charter. */
  'mentee_charter',
  /** The mentor has not accepted the current charter. */
  'mentor_charter',
  'mentor_paused',
  /** No place left: as many mentees as their capacity. */
  'mentor_full',
  /** Already proposed, passed, declined or matched: nobody gets the same proposal twice. */
  'already_paired',
  /** No language in common ('other' does not count: two "other" languages may differ). */
  'no_shared_language',
] as const;
export type FilterReason = (typeof FILTER_REASONS)[number];

/**
 * The key of a (mentee, mentor) pair in a set of pairs already seen. Length-prefixed so that no
 * separator inside an id can make two pairs collide.
 */
export function pairKey(menteeId: string, mentorId: string): string {
  return `${menteeId.length}:${menteeId}:${mentorId}`;
}

/** The (mentee id, mentor id) of a pairKey, or undefined if it is not one. */
export function splitPairKey(key: string): [menteeId: string, mentorId: string] | undefined {
  const colon = key.indexOf(':');
  const length = Number(key.slice(0, colon));
  if (colon < 1 || !Number.isInteger(length) || key[colon + 1 + length] !== ':') return undefined;
  return [key.slice(colon + 1, colon + 1 + length), key.slice(colon + 2 + length)];
}

/** What the filters need beyond the two people. */
export interface FilterContext {
  /** pairKey(...) of every pair already proposed, passed, declined or matched. */
  excluded?: ReadonlySet<string>;
}

/** Why no mentor can be proposed to this mentee at all, if so. */
export function menteeFilter(mentee: MenteeCandidate): FilterReason | undefined {
  return mentee.charterAccepted ? undefined : 'mentee_charter';
}

/** Why this mentor can be proposed to nobody now, if so. */
export function mentorFilter(mentor: MentorCandidate): FilterReason | undefined {
  if (!mentor.charterAccepted) return 'mentor_charter';
  if (mentor.paused) return 'mentor_paused';
  if (mentor.activeMentees >= capacity(mentor.profile)) return 'mentor_full';
  return undefined;
}

/** The languages a profile speaks, as a mask, without 'other'. */
export function languageMask(profile: MenteeCandidate['profile']): number {
  return listMask('languages', values(profile, 'languages')) & ~OTHER_LANGUAGE;
}

/** Why this pair must not be proposed, or undefined when it may be. */
export function filterPair(
  mentee: MenteeCandidate,
  mentor: MentorCandidate,
  context: FilterContext = {},
): FilterReason | undefined {
  const own = menteeFilter(mentee) ?? mentorFilter(mentor);
  if (own !== undefined) return own;
  if (context.excluded?.has(pairKey(mentee.id, mentor.id))) return 'already_paired';
  if ((languageMask(mentee.profile) & languageMask(mentor.profile)) === 0) return 'no_shared_language';
  return undefined;
}
