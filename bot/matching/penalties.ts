/**
 * "Voir un autre profil" never shows that mentor again (the pair is excluded) and lowers similar
 * mentors a little: a few points off per passed mentor sharing a sector with the candidate, more
 * for the same company, capped (config.penalties) so that a strong match still comes first. The
 * penalty only reorders close candidates; it never filters anyone.
 */
import type { Profile } from '../../models/person.js';
import { LISTS } from '../reference/lists.js';
import type { MatchingConfig } from './config.js';
import { companyKey, type MentorIndex } from './mentors.js';
import { values } from './profile.js';

/** What a mentee's passes say about what they do not want. Plain data: it can be stored. */
export interface Penalties {
  /** Sector id → how many passed mentors were in it. */
  sectors: Record<string, number>;
  /** Normalized companies of the passed mentors. */
  companies: string[];
}

/** The penalties that the profiles of the mentors a mentee passed add up to. */
export function penaltiesFromPassed(passed: readonly Profile[]): Penalties {
  const penalties: Penalties = { sectors: {}, companies: [] };
  for (const profile of passed) {
    for (const s of values(profile, 'sectors')) penalties.sectors[s] = (penalties.sectors[s] ?? 0) + 1;
    const company = companyKey(profile);
    if (company !== '' && !penalties.companies.includes(company)) penalties.companies.push(company);
  }
  return penalties;
}

/** Points off per mentor of the index, or undefined when there is nothing to take off. */
export function penaltyPoints(
  penalties: Penalties | undefined,
  index: MentorIndex,
  config: MatchingConfig,
): Int32Array | undefined {
  if (penalties === undefined) return undefined;
  const perSector = LISTS.sectors.map((s) => (penalties.sectors[s] ?? 0) * config.penalties.perSharedSector);
  const companies = new Set(
    penalties.companies.map((c) => index.companies.get(c)).filter((c) => c !== undefined),
  );
  if (perSector.every((p) => p === 0) && companies.size === 0) return undefined;
  const out = new Int32Array(index.size);
  for (let j = 0; j < index.size; j++) {
    let p = companies.has(index.company[j] as number) ? config.penalties.sameCompany : 0;
    // Only the set bits: a mentor has one to three sectors.
    for (let mask = index.sectors[j] as number; mask !== 0; mask &= mask - 1)
      p += perSector[31 - Math.clz32(mask & -mask)] as number;
    out[j] = Math.min(config.penalties.max, Math.round(p));
  }
  return out;
}
