/**
 * The matching's tunable numbers, in one place. Everything has a default; a deployment overrides
 * only what it wants with `matchingConfig({ weights: { distance: 25 } })`.
 */

/** The criteria a (mentee, mentor) pair is scored on. */
export const CRITERIA = [
  'sector',
  'goal',
  'skills',
  'distance',
  'availability',
  'format',
  'language',
  'capacity',
  'responsiveness',
  'programme',
] as const;
export type Criterion = (typeof CRITERIA)[number];

export interface MatchingConfig {
  /**
   * Relative weight of each criterion. A pair scores `SCORE_SCALE × weight / Σ weights` points on a
   * criterion it fully meets, proportionally less on one it partly meets.
   */
  weights: Record<Criterion, number>;
  distance: {
    /** Full points up to this distance… */
    fullKm: number;
    /** …none from this one, linear in between. */
    zeroKm: number;
  };
  responsiveness: {
    /** Full points for a mentor whose median answer to a proposal comes within this many hours… */
    fullHours: number;
    /** …none from this many (the proposal deadline), linear in between. */
    zeroHours: number;
    /** Share of the points for a mentor with no answer yet to go by: neither rewarded nor punished. */
    unknownShare: number;
  };
  /**
   * "Voir un autre profil" lowers mentors similar to those the mentee passed, a little: points off
   * (on the SCORE_SCALE) per passed mentor sharing a sector, for the same company, and at most.
   */
  penalties: { perSharedSector: number; sameCompany: number; max: number };
  reasons: {
    /** A distance is worth saying up to this many km. */
    maxDistanceKm: number;
    /** "Répond en général en moins de 24 h" up to this median. */
    fastAnswerHours: number;
  };
  /** How many mentors `rank` returns by default. */
  topN: number;
}

/** Scores are integers from 0 to this (all criteria fully met, no penalty). */
export const SCORE_SCALE = 1000;

/** The defaults (frozen: make a config with `matchingConfig(overrides)`, and treat it as read-only). */
export const DEFAULT_MATCHING_CONFIG: MatchingConfig = deepFreeze({
  weights: {
    sector: 20,
    goal: 15,
    skills: 15,
    distance: 12,
    availability: 10,
    format: 8,
    language: 3,
    capacity: 4,
    responsiveness: 6,
    programme: 7,
  },
  distance: { fullKm: 5, zeroKm: 50 },
  responsiveness: { fullHours: 24, zeroHours: 72, unknownShare: 0.5 },
  penalties: { perSharedSector: 15, sameCompany: 40, max: 60 },
  reasons: { maxDistanceKm: 30, fastAnswerHours: 24 },
  topN: 10,
});

function deepFreeze<T extends object>(o: T): T {
  for (const v of Object.values(o)) if (typeof v === 'object' && v !== null) deepFreeze(v);
  return Object.freeze(o);
}

export type MatchingOverrides = {
  [K in keyof MatchingConfig]?: MatchingConfig[K] extends object
    ? Partial<MatchingConfig[K]>
    : MatchingConfig[K];
};

/** The default config with `overrides` laid over it, one level deep. Weights must be ≥ 0, not all 0. */
export function matchingConfig(overrides: MatchingOverrides = {}): MatchingConfig {
  const d = DEFAULT_MATCHING_CONFIG;
  const config: MatchingConfig = {
    weights: { ...d.weights, ...overrides.weights },
    distance: { ...d.distance, ...overrides.distance },
    responsiveness: { ...d.responsiveness, ...overrides.responsiveness },
    penalties: { ...d.penalties, ...overrides.penalties },
    reasons: { ...d.reasons, ...overrides.reasons },
    topN: overrides.topN ?? d.topN,
  };
  const weights = Object.values(config.weights);
  if (weights.some((w) => !(w >= 0)) || weights.every((w) => w === 0))
    throw new RangeError('matching weights must be ≥ 0 and not all 0');
  return config;
}

const weightTotals = new WeakMap<MatchingConfig['weights'], number>();

/** Points a pair gets on `criterion` when it meets it fully (before rounding). */
export function fullPoints(config: MatchingConfig, criterion: Criterion): number {
  let total = weightTotals.get(config.weights);
  if (total === undefined) {
    total = CRITERIA.reduce((sum, c) => sum + config.weights[c], 0);
    weightTotals.set(config.weights, total);
  }
  return (SCORE_SCALE * config.weights[criterion]) / total;
}
