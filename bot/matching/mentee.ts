/**
 * A mentee made ready to be scored against every mentor of a MentorIndex: what they answered, as
 * bit masks (read once), and each criterion as a small table of points (by number of shared
 * sectors, by the mentor's commune and format…), so that scoring a mentor is a few array reads.
 */
import { communeLocation, distanceKm } from '../reference/geo.js';
import type { Criterion, MatchingConfig } from './config.js';
import {
  FILTER_REASONS,
  type FilterContext,
  languageMask,
  menteeFilter,
  pairKey,
  splitPairKey,
} from './filters.js';
import { type MentorIndex, points } from './mentors.js';
import { type Penalties, penaltyPoints } from './penalties.js';
import {
  commune,
  formatBits,
  listMask,
  type MenteeCandidate,
  POPCOUNT,
  skillsInText,
  text,
  VIDEO,
  values,
} from './profile.js';

export interface ScoreContext extends FilterContext {
  penalties?: Penalties;
}

/** What the matching reads from a mentee's profile; it does not depend on the mentors. */
export interface MenteeFeatures {
  /** 0, or 1 + the index in FILTER_REASONS of why no mentor can be proposed to them. */
  filter: number;
  sectors: number;
  goal: number;
  /** The skills their expectations name. */
  skills: number;
  availability: number;
  languages: number;
  /** The programme they came through, if any. */
  programme: string | undefined;
  format: number;
  communeCode: string | undefined;
}

export function menteeFeatures(mentee: MenteeCandidate): MenteeFeatures {
  const p = mentee.profile;
  const reason = menteeFilter(mentee);
  return {
    filter: reason === undefined ? 0 : 1 + FILTER_REASONS.indexOf(reason),
    sectors: listMask('sectors', values(p, 'sectors')),
    goal: listMask('goal', values(p, 'goal')),
    skills: skillsInText(text(p, 'expectations')),
    availability: listMask('availability', values(p, 'availability')),
    languages: languageMask(p),
    programme: mentee.programme,
    format: formatBits(p),
    communeCode: commune(p)?.code,
  };
}

export interface PreparedMentee extends MenteeFeatures {
  mentee: MenteeCandidate;
  index: MentorIndex;
  /** Points by number of shared values (index = count). */
  sectorPoints: Int32Array;
  skillPoints: Int32Array;
  availabilityPoints: Int32Array;
  languagePoints: Int32Array;
  goalPoints: number;
  programmePoints: number;
  /** 1 for each mentor of the mentee's programme; undefined when they came through none. */
  inProgramme: Uint8Array | undefined;
  /** Format + distance points by the mentor's `place` code (slot * 4 + format). */
  placePoints: Int32Array;
  /** km to each commune slot of the index (NaN when either place is unknown). */
  km: Float64Array;
  /** 1 for each mentor already paired with this mentee. */
  excluded: Uint8Array | undefined;
  penalty: Int32Array | undefined;
}

/** Points for 0…n shared values out of the mentee's n. */
function shareTable(config: MatchingConfig, criterion: Criterion, n: number): Int32Array {
  const table = new Int32Array(16);
  for (let k = 1; k <= n && k < table.length; k++) table[k] = points(config, criterion, k / n);
  return table;
}

export function distanceShare(km: number, config: MatchingConfig): number {
  const { fullKm, zeroKm } = config.distance;
  if (Number.isNaN(km)) return 0;
  if (km <= fullKm) return 1;
  if (km >= zeroKm) return 0;
  return (zeroKm - km) / (zeroKm - fullKm);
}

const CACHE_LIMIT = 4096;

function cached<T extends Float64Array | Int32Array | Uint8Array>(
  index: MentorIndex,
  key: string,
  make: () => T,
): T {
  const hit = index.cache.get(key);
  if (hit !== undefined) return hit as T;
  if (index.cache.size >= CACHE_LIMIT) index.cache.clear();
  const value = make();
  index.cache.set(key, value);
  return value;
}

/** km from the mentee's commune to each commune slot of the index. */
function kmToSlots(code: string | undefined, index: MentorIndex): Float64Array {
  return cached(index, `km|${code ?? ''}`, () => {
    const { lat, lon } = index.communes;
    const km = new Float64Array(lat.length + 1).fill(Number.NaN);
    const from = code === undefined ? undefined : communeLocation(code);
    if (from === undefined) return km;
    for (let s = 0; s < lat.length; s++) {
      const to = { lat: lat[s] as number, lon: lon[s] as number };
      if (!Number.isNaN(to.lat)) km[s] = distanceKm(from, to);
    }
    return km;
  });
}

/**
 * Format and distance points for every (commune slot, mentor format). Distance does not matter
 * when the only format both accept is video; it still counts when the formats clash (the format
 * points are lost then).
 */
function placeTable(f: MenteeFeatures, km: Float64Array, index: MentorIndex): Int32Array {
  return cached(index, `place|${f.communeCode ?? ''}|${f.format}`, () => {
    const { config } = index;
    const table = new Int32Array(km.length * 4);
    const formatFull = points(config, 'format', 1);
    for (let slot = 0; slot < km.length; slot++) {
      for (let mentorFormat = 1; mentorFormat <= 3; mentorFormat++) {
        const shared = f.format & mentorFormat;
        const distance = shared === VIDEO ? 1 : distanceShare(km[slot] as number, config);
        table[slot * 4 + mentorFormat] =
          (shared !== 0 ? formatFull : 0) + points(config, 'distance', distance);
      }
    }
    return table;
  });
}

/** Marks the mentors who belong to the programme. */
function programmeMembers(code: string | undefined, index: MentorIndex): Uint8Array | undefined {
  if (code === undefined) return undefined;
  return cached(index, `programme|${code}`, () =>
    Uint8Array.from(index.programmes, (p) => (p.includes(code) ? 1 : 0)),
  );
}

/** Marks the mentors already paired with the mentee, walking the smaller of the two collections. */
function excludedMentors(mentee: MenteeCandidate, index: MentorIndex, context: FilterContext) {
  const excluded = context.excluded;
  if (excluded === undefined || excluded.size === 0) return undefined;
  const marks = new Uint8Array(index.size);
  let any = false;
  const mark = (j: number | undefined) => {
    if (j === undefined) return;
    marks[j] = 1;
    any = true;
  };
  if (excluded.size < index.size) {
    for (const key of excluded) {
      const pair = splitPairKey(key);
      if (pair !== undefined && pair[0] === mentee.id) mark(index.position.get(pair[1]));
    }
  } else {
    index.mentors.forEach((mentor, j) => {
      if (excluded.has(pairKey(mentee.id, mentor.id))) mark(j);
    });
  }
  return any ? marks : undefined;
}

/**
 * Makes `mentee` ready to be scored against the mentors of `index`. Pass `features` when the same
 * mentee is prepared again (the cohort does, row after row).
 */
export function prepareMentee(
  mentee: MenteeCandidate,
  index: MentorIndex,
  context: ScoreContext = {},
  features: MenteeFeatures = menteeFeatures(mentee),
): PreparedMentee {
  const { config } = index;
  const f = features;
  const km = kmToSlots(f.communeCode, index);
  // Fields listed one by one: `{ ...f, more }` builds a slow dictionary object here (30 µs each).
  return {
    filter: f.filter,
    sectors: f.sectors,
    goal: f.goal,
    skills: f.skills,
    availability: f.availability,
    languages: f.languages,
    programme: f.programme,
    format: f.format,
    communeCode: f.communeCode,
    mentee,
    index,
    sectorPoints: shareTable(config, 'sector', POPCOUNT[f.sectors] as number),
    skillPoints: shareTable(config, 'skills', POPCOUNT[f.skills] as number),
    availabilityPoints: shareTable(config, 'availability', POPCOUNT[f.availability] as number),
    languagePoints: shareTable(config, 'language', POPCOUNT[f.languages] as number),
    goalPoints: points(config, 'goal', 1),
    programmePoints: points(config, 'programme', 1),
    inProgramme: programmeMembers(f.programme, index),
    placePoints: placeTable(f, km, index),
    km,
    excluded: excludedMentors(mentee, index, context),
    penalty: penaltyPoints(context.penalties, index, config),
  };
}
