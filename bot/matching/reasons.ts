/**
 * Why a mentor is proposed, in words: "Même secteur : numérique", "À 4 km de chez vous". A reason
 * is stored as plain data (a locale key and ids from the shared lists), so a proposal keeps its
 * reasons and each reader sees them in their own language.
 */
import type { TFunction } from '../i18n.js';
import { configuredLabel, LISTS, type ListName } from '../reference/lists.js';
import type { Criterion } from './config.js';
import type { PreparedMentee } from './mentee.js';
import { maskIds, text, VIDEO } from './profile.js';
import type { PairExplanation } from './score.js';

/** One reason: a key of the 'matching' namespace and its parameters (list ids, numbers, names). */
export interface Reason {
  key: ReasonKey;
  params?: Record<string, string | number | string[]>;
}

export const REASON_KEYS = [
  'matching:reason.sector',
  'matching:reason.goal_employment',
  'matching:reason.goal_business',
  'matching:reason.goal_career_change',
  'matching:reason.skills',
  'matching:reason.same_commune',
  'matching:reason.distance',
  'matching:reason.near',
  'matching:reason.video',
  'matching:reason.availability',
  'matching:reason.language',
  'matching:reason.programme',
  'matching:reason.responsive',
] as const;
export type ReasonKey = (typeof REASON_KEYS)[number];

const GOAL_REASONS: Record<string, ReasonKey> = {
  employment: 'matching:reason.goal_employment',
  business: 'matching:reason.goal_business',
  career_change: 'matching:reason.goal_career_change',
};

/** Parameters that hold ids of a shared list, and that list. */
const LIST_PARAMS: Record<string, ListName> = {
  sectors: 'sectors',
  skills: 'skills',
  availability: 'availability',
  languages: 'languages',
  programme: 'programmes',
};

function distanceReason(m: PreparedMentee, e: PairExplanation, maxKm: number): Reason | undefined {
  if (e.km === undefined) return undefined;
  if (e.sameCommune) {
    const name = m.mentee.profile.commune;
    if (name !== undefined && typeof name === 'object' && !Array.isArray(name))
      return { key: 'matching:reason.same_commune', params: { commune: name.name } };
  }
  if (e.km < 1) return { key: 'matching:reason.near' };
  if (e.km > maxKm) return undefined;
  return { key: 'matching:reason.distance', params: { km: Math.round(e.km) } };
}

/** The reasons a pair is a good one, strongest first (by the points of their criterion). */
export function reasonsFor(m: PreparedMentee, e: PairExplanation): Reason[] {
  const { config } = m.index;
  const found: Array<[Criterion, Reason | undefined]> = [];
  const ids = (list: ListName, mask: number) => maskIds(list, mask);
  if (e.shared.sectors !== 0)
    found.push([
      'sector',
      { key: 'matching:reason.sector', params: { sectors: ids('sectors', e.shared.sectors) } },
    ]);
  const goal = text(m.mentee.profile, 'goal');
  if (e.goal && GOAL_REASONS[goal] !== undefined) found.push(['goal', { key: GOAL_REASONS[goal] }]);
  if (e.shared.skills !== 0)
    found.push([
      'skills',
      { key: 'matching:reason.skills', params: { skills: ids('skills', e.shared.skills) } },
    ]);
  found.push(['distance', distanceReason(m, e, config.reasons.maxDistanceKm)]);
  if (e.videoOnly && m.format === VIDEO) found.push(['format', { key: 'matching:reason.video' }]);
  if (e.shared.availability !== 0) {
    const availability = ids('availability', e.shared.availability);
    found.push(['availability', { key: 'matching:reason.availability', params: { availability } }]);
  }
  // French goes without saying: the conversation is in French.
  const languages = ids('languages', e.shared.languages).filter((l) => l !== LISTS.languages[0]);
  if (languages.length > 0)
    found.push(['language', { key: 'matching:reason.language', params: { languages } }]);
  if (e.programme !== undefined)
    found.push(['programme', { key: 'matching:reason.programme', params: { programme: e.programme } }]);
  const hours = e.medianAnswerHours;
  if (hours !== undefined && hours <= config.reasons.fastAnswerHours)
    found.push([
      'responsiveness',
      { key: 'matching:reason.responsive', params: { hours: config.reasons.fastAnswerHours } },
    ]);
  return found
    .filter((f): f is [Criterion, Reason] => f[1] !== undefined)
    .map(([criterion, reason], order) => ({ reason, points: e.points[criterion], order }))
    .sort((a, b) => b.points - a.points || a.order - b.order)
    .map((r) => r.reason);
}

/**
 * "Numérique" → "numérique" inside a sentence, when the locale writes that list in lower case
 * there (French: sectors, languages…; English keeps "French" capitalized). An acronym stays.
 */
function inline(label: string): string {
  const second = label.charAt(1);
  return second !== '' && second === second.toLowerCase() && second !== second.toUpperCase()
    ? label.charAt(0).toLowerCase() + label.slice(1)
    : label;
}

/** Each reason as a sentence in the language of `t` (i18next's t, e.g. ctx.t). */
export function renderReasons(reasons: readonly Reason[], t: TFunction, limit = reasons.length): string[] {
  const lowercased = new Set(t('matching:inline_lowercase').split(','));
  const label = (list: ListName, id: string) => {
    const l = configuredLabel(list, id) ?? t(`lists:${list}.${id}.label`);
    return lowercased.has(list) ? inline(l) : l;
  };
  return reasons.slice(0, limit).map((reason) => {
    const params: Record<string, string | number | string[]> = {};
    for (const [name, value] of Object.entries(reason.params ?? {})) {
      const list = LIST_PARAMS[name];
      if (list === undefined) params[name] = value;
      else
        params[name] = Array.isArray(value) ? value.map((id) => label(list, id)) : label(list, String(value));
    }
    return t(reason.key, params);
  });
}
