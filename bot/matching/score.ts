/**
 * The score of a (mentee, mentor) pair: the sum of integer points per criterion (config.weights,
 * see config.ts), minus a small penalty for mentors like those the mentee passed. Scores are
 * integers from 0 to SCORE_SCALE, so rankings and cohort totals compare exactly.
 *
 * A mentee is first prepared against a MentorIndex (mentee.ts): every criterion becomes a small
 * table, so that scoring one mentor is a handful of array reads (`scoreRow`). `explainPair`
 * recomputes the same points one criterion at a time, with what the reasons need.
 */
import type { Criterion, MatchingConfig } from './config.js';
import { FILTER_REASONS } from './filters.js';
import { distanceShare, type PreparedMentee } from './mentee.js';
import { points } from './mentors.js';
import { IN_PERSON, POPCOUNT, VIDEO } from './profile.js';

const ALREADY_PAIRED = 1 + FILTER_REASONS.indexOf('already_paired');
const NO_SHARED_LANGUAGE = 1 + FILTER_REASONS.indexOf('no_shared_language');

/**
 * The score of (prepared mentee, mentor j) for every mentor j of the index, into out[j]: an integer
 * ≥ 0, or -(1 + the index in FILTER_REASONS) when the pair is filtered out. The hot loop of ranking
 * and cohorts: every table is read into a local once, and a mentor costs a few array reads.
 */
export function scoreRow(m: PreparedMentee, out: Int32Array): void {
  const ix = m.index;
  const n = ix.size;
  if (m.filter !== 0) {
    out.fill(-m.filter, 0, n);
    return;
  }
  const { filter, ownPoints, sectors, skills, availability, languages, place, goals } = ix;
  const { sectorPoints, skillPoints, availabilityPoints, languagePoints, placePoints, excluded, penalty } = m;
  const mSectors = m.sectors;
  const mSkills = m.skills;
  const mAvailability = m.availability;
  const mLanguages = m.languages;
  const mGoal = m.goal;
  const inProgramme = m.inProgramme;
  const goalPoints = m.goalPoints;
  const programmePoints = m.programmePoints;
  for (let j = 0; j < n; j++) {
    const own = filter[j] as number;
    if (own !== 0) {
      out[j] = -own;
      continue;
    }
    if (excluded !== undefined && excluded[j] === 1) {
      out[j] = -ALREADY_PAIRED;
      continue;
    }
    const shared = mLanguages & (languages[j] as number);
    if (shared === 0) {
      out[j] = -NO_SHARED_LANGUAGE;
      continue;
    }
    let score =
      (ownPoints[j] as number) +
      (sectorPoints[POPCOUNT[mSectors & (sectors[j] as number)] as number] as number) +
      (skillPoints[POPCOUNT[mSkills & (skills[j] as number)] as number] as number) +
      (availabilityPoints[POPCOUNT[mAvailability & (availability[j] as number)] as number] as number) +
      (languagePoints[POPCOUNT[shared] as number] as number) +
      (placePoints[place[j] as number] as number);
    if ((mGoal & (goals[j] as number)) !== 0) score += goalPoints;
    // A mentee who came through no programme can be matched with anyone: full points.
    if (inProgramme === undefined || inProgramme[j] === 1) score += programmePoints;
    if (penalty !== undefined) score = Math.max(0, score - (penalty[j] as number));
    out[j] = score;
  }
}

/** A pair's score, criterion by criterion, with what the reasons are made of. */
export interface PairExplanation {
  score: number;
  points: Record<Criterion, number>;
  penalty: number;
  shared: { sectors: number; skills: number; availability: number; languages: number };
  goal: boolean;
  /** The mentee's programme, when the mentor belongs to it. */
  programme: string | undefined;
  /** Distance in km when both places are known and they may meet in person. */
  km: number | undefined;
  sameCommune: boolean;
  /** The only format both accept is video. */
  videoOnly: boolean;
  medianAnswerHours: number | undefined;
}

/** The points of a pair that passes the filters, one criterion at a time (the same sums as scoreRow). */
export function explainPair(m: PreparedMentee, j: number): PairExplanation {
  const ix = m.index;
  const shared = {
    sectors: m.sectors & (ix.sectors[j] as number),
    skills: m.skills & (ix.skills[j] as number),
    availability: m.availability & (ix.availability[j] as number),
    languages: m.languages & (ix.languages[j] as number),
  };
  const place = ix.place[j] as number;
  const slot = place >> 2;
  const sharedFormat = m.format & place & 3;
  const km = m.km[slot] as number;
  const distance = sharedFormat === VIDEO ? 1 : distanceShare(km, ix.config);
  const goal = (m.goal & (ix.goals[j] as number)) !== 0;
  const inProgramme = m.inProgramme?.[j] === 1;
  const pts: Record<Criterion, number> = {
    sector: m.sectorPoints[POPCOUNT[shared.sectors] as number] as number,
    goal: goal ? m.goalPoints : 0,
    skills: m.skillPoints[POPCOUNT[shared.skills] as number] as number,
    distance: points(ix.config, 'distance', distance),
    availability: m.availabilityPoints[POPCOUNT[shared.availability] as number] as number,
    format: sharedFormat !== 0 ? points(ix.config, 'format', 1) : 0,
    language: m.languagePoints[POPCOUNT[shared.languages] as number] as number,
    capacity: ix.capacityPoints[j] as number,
    responsiveness: (ix.ownPoints[j] as number) - (ix.capacityPoints[j] as number),
    programme: m.inProgramme === undefined || inProgramme ? m.programmePoints : 0,
  };
  const penalty = m.penalty?.[j] ?? 0;
  const sum = Object.values(pts).reduce((a, b) => a + b, 0);
  const mentor = ix.mentors[j];
  return {
    score: Math.max(0, sum - penalty),
    points: pts,
    penalty,
    shared,
    goal,
    programme: inProgramme ? m.programme : undefined,
    km: (sharedFormat & IN_PERSON) !== 0 && !Number.isNaN(km) ? km : undefined,
    sameCommune: m.communeCode !== undefined && m.communeCode === ix.communes.codes[slot],
    videoOnly: sharedFormat === VIDEO,
    medianAnswerHours: mentor?.medianAnswerHours,
  };
}

/** The highest score any pair can get with this config. */
export function maxScore(config: MatchingConfig): number {
  return (Object.keys(config.weights) as Criterion[]).reduce((a, c) => a + points(config, c, 1), 0);
}
