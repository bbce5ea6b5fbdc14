/**
 * Mentors laid out for scoring many of them fast: one typed array per field (bit masks over the
 * shared lists, a slot in a table of distinct communes, the points that do not depend on the
 * mentee), built once per batch of rankings and reused for every mentee.
 */
import { communeLocation } from '../reference/geo.js';
import { type Criterion, fullPoints, type MatchingConfig, matchingConfig } from './config.js';
import { FILTER_REASONS, languageMask, mentorFilter } from './filters.js';
import {
  capacity,
  commune,
  formatBits,
  listMask,
  type MentorCandidate,
  skillsInText,
  text,
  values,
} from './profile.js';

/** The distinct communes of a set of mentors; the last slot stands for "no known place". */
export interface CommuneTable {
  codes: string[];
  lat: Float64Array;
  lon: Float64Array;
}

export interface MentorIndex {
  readonly config: MatchingConfig;
  readonly size: number;
  readonly mentors: readonly MentorCandidate[];
  readonly position: ReadonlyMap<string, number>;
  /** 0 when the mentor can be proposed, else 1 + the index of their reason in FILTER_REASONS. */
  readonly filter: Uint8Array;
  readonly sectors: Uint16Array;
  readonly goals: Uint8Array;
  /** The skills they ticked and those named in their "other skills" text. */
  readonly skills: Uint16Array;
  readonly availability: Uint8Array;
  readonly languages: Uint8Array;
  /** Each mentor's partner programmes (codes: the list is configurable, see reference/lists.ts). */
  readonly programmes: ReadonlyArray<readonly string[]>;
  /** `slot * 4 + format bits`, slot into `communes` (communes.codes.length when unknown). */
  readonly place: Int32Array;
  readonly communes: CommuneTable;
  /** Capacity and responsiveness points: they depend on the mentor alone. */
  readonly ownPoints: Int32Array;
  readonly capacityPoints: Int32Array;
  /** Interned normalized company name, -1 when none (for the "seen another profile" penalty). */
  readonly company: Int32Array;
  readonly companies: ReadonlyMap<string, number>;
  /**
   * Per-mentee tables that depend only on the mentee's commune and format (mentee.ts), kept
   * between rankings: mentees share a few hundred communes. Bounded, cleared when full.
   */
  readonly cache: Map<string, Float64Array | Int32Array | Uint8Array>;
}

/** Share of the capacity points: places left out of the largest capacity (3). */
function capacityShare(mentor: MentorCandidate): number {
  return Math.max(0, capacity(mentor.profile) - mentor.activeMentees) / 3;
}

function responsivenessShare(hours: number | undefined, config: MatchingConfig): number {
  const { fullHours, zeroHours, unknownShare } = config.responsiveness;
  if (hours === undefined || !Number.isFinite(hours)) return unknownShare;
  if (hours <= fullHours) return 1;
  if (hours >= zeroHours) return 0;
  return (zeroHours - hours) / (zeroHours - fullHours);
}

export function points(config: MatchingConfig, criterion: Criterion, share: number): number {
  return Math.round(fullPoints(config, criterion) * share);
}

export function companyKey(profile: MentorCandidate['profile']): string {
  return text(profile, 'company').trim().toLowerCase().replace(/\s+/g, ' ');
}

/** Interns each distinct value of `keyOf` (skipping ''), returning the id per item. */
function intern<T>(items: readonly T[], keyOf: (item: T) => string, ids: Map<string, number>): Int32Array {
  const out = new Int32Array(items.length);
  items.forEach((item, i) => {
    const key = keyOf(item);
    if (key === '') {
      out[i] = -1;
      return;
    }
    let id = ids.get(key);
    if (id === undefined) {
      id = ids.size;
      ids.set(key, id);
    }
    out[i] = id;
  });
  return out;
}

function communeTable(codes: Map<string, number>): CommuneTable {
  const table: CommuneTable = {
    codes: [...codes.keys()],
    lat: new Float64Array(codes.size),
    lon: new Float64Array(codes.size),
  };
  table.codes.forEach((code, i) => {
    const at = communeLocation(code);
    table.lat[i] = at?.lat ?? Number.NaN;
    table.lon[i] = at?.lon ?? Number.NaN;
  });
  return table;
}

/** Builds the index of `mentors` (a few ms for 10,000). */
export function indexMentors(
  mentors: readonly MentorCandidate[],
  config: MatchingConfig = matchingConfig(),
): MentorIndex {
  const n = mentors.length;
  const slots = new Map<string, number>();
  const slotOf = intern(mentors, (m) => commune(m.profile)?.code ?? '', slots);
  const companies = new Map<string, number>();
  const index: MentorIndex = {
    config,
    size: n,
    mentors,
    position: new Map(mentors.map((m, i) => [m.id, i])),
    filter: new Uint8Array(n),
    sectors: new Uint16Array(n),
    goals: new Uint8Array(n),
    skills: new Uint16Array(n),
    availability: new Uint8Array(n),
    languages: new Uint8Array(n),
    programmes: mentors.map((m) => values(m.profile, 'programmes')),
    place: new Int32Array(n),
    communes: communeTable(slots),
    ownPoints: new Int32Array(n),
    capacityPoints: new Int32Array(n),
    company: intern(mentors, (m) => companyKey(m.profile), companies),
    companies,
    cache: new Map(),
  };
  mentors.forEach((m, i) => {
    const p = m.profile;
    const reason = mentorFilter(m);
    index.filter[i] = reason === undefined ? 0 : 1 + FILTER_REASONS.indexOf(reason);
    index.sectors[i] = listMask('sectors', values(p, 'sectors'));
    index.goals[i] = listMask('goal', values(p, 'goals'));
    index.skills[i] = listMask('skills', values(p, 'skills')) | skillsInText(text(p, 'skillsOther'));
    index.availability[i] = listMask('availability', values(p, 'availability'));
    index.languages[i] = languageMask(p);
    const slot = slotOf[i] as number;
    index.place[i] = (slot < 0 ? slots.size : slot) * 4 + formatBits(p);
    index.capacityPoints[i] = points(config, 'capacity', capacityShare(m));
    index.ownPoints[i] =
      (index.capacityPoints[i] as number) +
      points(config, 'responsiveness', responsivenessShare(m.medianAnswerHours, config));
  });
  return index;
}
