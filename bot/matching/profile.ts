/**
 * What the matching reads from a profile, read once into small bit masks over the shared lists so
 * that comparing two profiles is a few `&` operations. A value that is not in its list (an old or
 * hand-edited profile) is ignored, never an error.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Profile, StoredCommune } from '../../models/person.js';
import { normalize } from '../engine/recognize.js';
import { LOCALES, LOCALES_DIR } from '../i18n.js';
import { LISTS, type ListName } from '../reference/lists.js';

/** A mentee as the matching sees them: the services build it from the person and their consents. */
export interface MenteeCandidate {
  id: string;
  profile: Profile;
  /** The partner programme the mentee came through, if any. */
  programme?: string;
  /** Whether they accepted the current version of the charter. */
  charterAccepted: boolean;
}

/** A mentor as the matching sees them. */
export interface MentorCandidate {
  id: string;
  profile: Profile;
  /** Paused by themselves or by staff (e.g. after two expired proposals). */
  paused: boolean;
  /**
   * Places taken: mentees they follow now (open matches) and requests waiting for their answer;
   * their capacity minus this is what is left.
   */
  activeMentees: number;
  /** Median hours they took to answer a proposal; undefined while there is none to go by. */
  medianAnswerHours?: number;
  charterAccepted: boolean;
}

/** Meeting formats as bits: 'both' is in person | video. */
export const IN_PERSON = 1;
export const VIDEO = 2;

/** Bits set in each 14-bit mask (the longest list, sectors, has 14 values). */
export const POPCOUNT = new Uint8Array(1 << 14);
for (let i = 1; i < POPCOUNT.length; i++) POPCOUNT[i] = (POPCOUNT[i >> 1] as number) + (i & 1);

/** Bit of the 'other' language: two people who each speak "another language" may not share it. */
export const OTHER_LANGUAGE = 1 << LISTS.languages.indexOf('other');

export function text(profile: Profile, key: string): string {
  const v = profile[key];
  return typeof v === 'string' ? v : '';
}

export function values(profile: Profile, key: string): string[] {
  const v = profile[key];
  if (Array.isArray(v)) return v;
  return typeof v === 'string' && v !== '' ? [v] : [];
}

export function commune(profile: Profile): StoredCommune | undefined {
  const v = profile.commune;
  return v !== undefined && typeof v === 'object' && !Array.isArray(v) && typeof v.code === 'string'
    ? v
    : undefined;
}

/** The values of `list` among `ids`, as a bit mask of their positions in the list. */
export function listMask(list: ListName, ids: readonly string[]): number {
  const all: readonly string[] = LISTS[list];
  let mask = 0;
  for (const id of ids) {
    const i = all.indexOf(id);
    if (i >= 0) mask |= 1 << i;
  }
  return mask;
}

/** The ids of `list` whose bits are set in `mask`, in list order. */
export function maskIds(list: ListName, mask: number): string[] {
  return LISTS[list].filter((_, i) => (mask & (1 << i)) !== 0);
}

export function formatBits(profile: Profile): number {
  switch (text(profile, 'format')) {
    case 'in_person':
      return IN_PERSON;
    case 'video':
      return VIDEO;
    default:
      // 'both', or not said: either suits them.
      return IN_PERSON | VIDEO;
  }
}

/** The mentor's capacity (1–3); a missing or odd value counts as 1, the cautious reading. */
export function capacity(profile: Profile): number {
  const n = Number(text(profile, 'capacity'));
  return Number.isInteger(n) && n >= 1 && n <= 3 ? n : 1;
}

// ---------------------------------------------------------------------------------------------------------
// Skills named in free text

let skillPhrases: Array<{ mask: number; phrase: string }> | undefined;

/** Every label and alias of the 'skills' list, in every locale, normalized. */
function phrases(): Array<{ mask: number; phrase: string }> {
  if (skillPhrases !== undefined) return skillPhrases;
  const found = new Map<string, number>();
  for (const lng of LOCALES) {
    const lists = JSON.parse(readFileSync(join(LOCALES_DIR, lng, 'lists.json'), 'utf8')) as {
      skills?: Record<string, { label?: string; aliases?: string }>;
    };
    for (const [id, entry] of Object.entries(lists.skills ?? {})) {
      const mask = listMask('skills', [id]);
      if (mask === 0) continue;
      for (const p of [entry.label ?? '', ...(entry.aliases ?? '').split('|')]) {
        const phrase = normalize(p);
        if (phrase !== '') found.set(phrase, (found.get(phrase) ?? 0) | mask);
      }
    }
  }
  skillPhrases = [...found].map(([phrase, mask]) => ({ phrase, mask }));
  return skillPhrases;
}

/**
 * The skills of the shared list that a free text asks for or offers ("Relire mon CV" → cv), by
 * their labels and aliases as whole words, ignoring case and accents.
 */
export function skillsInText(input: string): number {
  const haystack = ` ${normalize(input.slice(0, 2000))} `;
  if (haystack.length <= 2) return 0;
  let mask = 0;
  for (const { phrase, mask: m } of phrases()) if (haystack.includes(` ${phrase} `)) mask |= m;
  return mask;
}
