import type { TFunction } from '../bot/i18n.js';
import { communeByCode } from '../bot/reference/communes.js';
import { LISTS, type ListName, labelOf, listValues } from '../bot/reference/lists.js';
import type { Profile } from '../models/person.js';

export { labelOf };

/** Marks a literal locale key (so the locale test finds it) without translating it yet. */
export const tk = (key: string): string => key;

interface Base {
  /** Stable id: the profile field (unless `field` says otherwise), the button's `q`. */
  id: string;
  /**
   * The profile field the answer is stored under when it is not the id: a question worded for a
   * mentor fills the same field as the mentee's (the matching compares them).
   */
  field?: string;
  /** Locale key of the question. */
  prompt: string;
  /** Locale key of the short name shown in the summary and the edit menu. */
  name?: string;
}

interface Listed {
  list: ListName;
  /**
   * Which label of the list's items is shown: `lists:<list>.<item>.<wording>` ('label' when
   * absent), e.g. 'mentor' for the goals a mentor helps with ("Reconversion", not "Me reconvertir").
   */
  wording?: string;
}

export type Question =
  | (Base & Listed & { kind: 'choice' })
  | (Base &
      Listed & {
        kind: 'multi';
        max: number;
        /** Locale key of an exclusive "none" answer ("Aucun"), offered while nothing is chosen. */
        none?: string;
      })
  | (Base & {
      kind: 'text';
      min: number;
      max: number;
      firstName?: boolean;
      /** "non", "rien", "c'est tout" (or the button that says so) answer '': nothing to add. */
      optional?: boolean;
      /** A contact detail, checked for its form (the answer is kept as typed, trimmed). */
      format?: 'email' | 'phone';
    })
  | (Base & { kind: 'commune' })
  | (Base & {
      kind: 'confirm';
      yes: string;
      no: string;
      /** Only the buttons' labels, "oui" and "non": a question whose "yes" cannot be undone. */
      strict?: boolean;
    })
  | (Base & {
      kind: 'pick';
      choices: string[];
      /** Locale key of a choice that picks none and goes back (its typed words: `<key>_typed`). */
      back?: string;
    });

/** Every question Tandem asks, by id. Dialog state stores ids only, never these objects. */
const QUESTIONS: Question[] = [
  {
    id: 'consent',
    kind: 'confirm',
    prompt: tk('onboarding:consent.ask'),
    yes: tk('onboarding:consent.yes'),
    no: tk('onboarding:consent.no'),
  },
  {
    id: 'age',
    kind: 'choice',
    list: 'age',
    prompt: tk('onboarding:ask.age'),
    name: tk('onboarding:field.age'),
  },
  {
    id: 'firstName',
    kind: 'text',
    min: 1,
    max: 40,
    firstName: true,
    prompt: tk('onboarding:ask.firstName'),
    name: tk('onboarding:field.firstName'),
  },
  {
    id: 'situation',
    kind: 'choice',
    list: 'situation',
    prompt: tk('onboarding:ask.situation'),
    name: tk('onboarding:field.situation'),
  },
  {
    id: 'goal',
    kind: 'choice',
    list: 'goal',
    prompt: tk('onboarding:ask.goal'),
    name: tk('onboarding:field.goal'),
  },
  {
    id: 'sectors',
    kind: 'multi',
    list: 'sectors',
    max: 3,
    prompt: tk('onboarding:ask.sectors'),
    name: tk('onboarding:field.sectors'),
  },
  {
    id: 'commune',
    kind: 'commune',
    prompt: tk('onboarding:ask.commune'),
    name: tk('onboarding:field.commune'),
  },
  {
    id: 'availability',
    kind: 'multi',
    list: 'availability',
    max: 3,
    prompt: tk('onboarding:ask.availability'),
    name: tk('onboarding:field.availability'),
  },
  {
    id: 'format',
    kind: 'choice',
    list: 'format',
    prompt: tk('onboarding:ask.format'),
    name: tk('onboarding:field.format'),
  },
  {
    id: 'languages',
    kind: 'multi',
    list: 'languages',
    max: 6,
    prompt: tk('onboarding:ask.languages'),
    name: tk('onboarding:field.languages'),
  },
  {
    id: 'expectations',
    kind: 'text',
    min: 2,
    max: 500,
    prompt: tk('onboarding:ask.expectations'),
    name: tk('onboarding:field.expectations'),
  },
  {
    id: 'summary',
    kind: 'confirm',
    prompt: tk('onboarding:summary.ask'),
    yes: tk('onboarding:summary.yes'),
    no: tk('onboarding:summary.no'),
  },
  {
    id: 'charter',
    kind: 'confirm',
    prompt: tk('charter:ask'),
    yes: tk('charter:yes'),
    no: tk('charter:no'),
  },
  {
    id: 'restart',
    kind: 'confirm',
    strict: true,
    prompt: tk('common:restart_confirm.ask'),
    yes: tk('common:restart_confirm.yes'),
    no: tk('common:restart_confirm.no'),
  },
];

/** The profile questions of the mentee's onboarding, in order (age is asked right after consent). */
export const MENTEE_PROFILE = [
  'firstName',
  'situation',
  'goal',
  'sectors',
  'commune',
  'availability',
  'format',
  'languages',
  'expectations',
];

QUESTIONS.push({
  id: 'edit_mentee',
  kind: 'pick',
  choices: ['age', ...MENTEE_PROFILE],
  prompt: tk('onboarding:summary.which'),
  back: tk('onboarding:summary.back'),
});

/** The mentor's own questions (firstName, commune and languages are the mentee's). */
QUESTIONS.push(
  {
    id: 'mentor_consent',
    kind: 'confirm',
    prompt: tk('mentor:consent.ask'),
    yes: tk('onboarding:consent.yes'),
    no: tk('onboarding:consent.no'),
  },
  {
    id: 'company',
    kind: 'text',
    min: 1,
    max: 80,
    prompt: tk('mentor:ask.company'),
    name: tk('mentor:field.company'),
  },
  {
    id: 'jobTitle',
    kind: 'text',
    min: 2,
    max: 80,
    prompt: tk('mentor:ask.jobTitle'),
    name: tk('mentor:field.jobTitle'),
  },
  {
    id: 'mentor_sectors',
    field: 'sectors',
    kind: 'multi',
    list: 'sectors',
    max: 3,
    prompt: tk('mentor:ask.sectors'),
    name: tk('mentor:field.sectors'),
  },
  {
    id: 'goals',
    kind: 'multi',
    list: 'goal',
    wording: 'mentor',
    max: LISTS.goal.length,
    prompt: tk('mentor:ask.goals'),
    name: tk('mentor:field.goals'),
  },
  {
    id: 'skills',
    kind: 'multi',
    list: 'skills',
    max: LISTS.skills.length,
    prompt: tk('mentor:ask.skills'),
    name: tk('mentor:field.skills'),
  },
  {
    id: 'skillsOther',
    kind: 'text',
    min: 2,
    max: 200,
    optional: true,
    prompt: tk('mentor:ask.skillsOther'),
    name: tk('mentor:field.skillsOther'),
  },
  {
    id: 'programmes',
    kind: 'multi',
    list: 'programmes',
    // The list is configurable (PROGRAMMES): no cap in practice.
    max: 50,
    none: tk('mentor:programmes_none'),
    prompt: tk('mentor:ask.programmes'),
    name: tk('mentor:field.programmes'),
  },
  {
    id: 'capacity',
    kind: 'choice',
    list: 'capacity',
    prompt: tk('mentor:ask.capacity'),
    name: tk('mentor:field.capacity'),
  },
  {
    id: 'mentor_availability',
    field: 'availability',
    kind: 'multi',
    list: 'availability',
    max: 3,
    prompt: tk('mentor:ask.availability'),
    name: tk('onboarding:field.availability'),
  },
  {
    id: 'mentor_format',
    field: 'format',
    kind: 'choice',
    list: 'format',
    prompt: tk('mentor:ask.format'),
    name: tk('onboarding:field.format'),
  },
  {
    id: 'bio',
    kind: 'text',
    min: 10,
    max: 280,
    prompt: tk('mentor:ask.bio'),
    name: tk('mentor:field.bio'),
  },
  {
    id: 'showCompany',
    kind: 'confirm',
    prompt: tk('mentor:ask.showCompany'),
    yes: tk('mentor:showCompany.yes'),
    no: tk('mentor:showCompany.no'),
    name: tk('mentor:field.showCompany'),
  },
);

/** The profile questions of the mentor's onboarding, in order (ids; see `fieldOf` for the fields). */
export const MENTOR_PROFILE = [
  'firstName',
  'company',
  'jobTitle',
  'mentor_sectors',
  'goals',
  'skills',
  'skillsOther',
  'programmes',
  'capacity',
  'mentor_availability',
  'mentor_format',
  'commune',
  'languages',
  'bio',
  'showCompany',
];

QUESTIONS.push({
  id: 'edit_mentor',
  kind: 'pick',
  choices: MENTOR_PROFILE,
  prompt: tk('onboarding:summary.which'),
  back: tk('onboarding:summary.back'),
});

/** The contact details a person passes on to their new pair (asked at the match, with consent). */
QUESTIONS.push(
  {
    id: 'contact_email',
    kind: 'text',
    min: 3,
    max: 254,
    format: 'email',
    prompt: tk('proposals:contact.ask_email'),
  },
  {
    id: 'contact_phone',
    kind: 'text',
    min: 6,
    max: 30,
    format: 'phone',
    prompt: tk('proposals:contact.ask_phone'),
  },
);

const BY_ID = new Map(QUESTIONS.map((q) => [q.id, q]));

export function question(id: string): Question {
  const q = BY_ID.get(id);
  if (!q) throw new Error(`unknown question ${id}`);
  return q;
}

/** The profile field a question's answer is stored under. */
export function fieldOf(id: string): string {
  return question(id).field ?? id;
}

/**
 * Whether `value` is an answer to `id` that this version could have given: answers kept by an
 * older version (a dialog state reset by an update) may name a list item since removed, or have
 * another shape.
 */
export function isAnswerOf(id: string, value: unknown): boolean {
  const q = question(id);
  switch (q.kind) {
    case 'choice':
      return typeof value === 'string' && listValues(q.list).includes(value);
    case 'multi': {
      const known = listValues(q.list);
      return (
        Array.isArray(value) &&
        value.length <= q.max &&
        (value.length > 0 || q.none !== undefined) &&
        value.every((v) => typeof v === 'string' && known.includes(v))
      );
    }
    case 'text':
      return (
        typeof value === 'string' &&
        value.length <= q.max &&
        (value.trim().length >= q.min || (q.optional === true && value === ''))
      );
    case 'commune': {
      const c = value as { code?: unknown; name?: unknown; inArea?: unknown } | null;
      return (
        typeof c?.code === 'string' &&
        typeof c.name === 'string' &&
        typeof c.inArea === 'boolean' &&
        communeByCode(c.code) !== undefined
      );
    }
    case 'confirm':
      return value === 'yes' || value === 'no';
    default:
      return false;
  }
}

/** The answers to the questions `ids` found in `answers` that this version accepts, by profile field. */
export function validAnswers(ids: readonly string[], answers: Record<string, unknown>): Profile {
  const kept: Profile = {};
  for (const id of ids) {
    const field = fieldOf(id);
    const value = answers[field];
    if (value !== undefined && isAnswerOf(id, value)) kept[field] = value as Profile[string];
  }
  return kept;
}

export interface Option {
  value: string;
  label: string;
  labels: string[];
}

const cache = new WeakMap<TFunction, Map<string, Option[]>>();

/**
 * The options of a list in the user's language, with the synonyms typed answers may use. Cached
 * per translation function (the pipeline keeps one per locale), so the recognizer's own cache,
 * keyed on these objects, is hit on every turn. `wording`: see `Listed`.
 */
export function options(list: ListName, t: TFunction, wording = 'label'): Option[] {
  const byList = cache.get(t) ?? new Map<string, Option[]>();
  cache.set(t, byList);
  const key = `${list}.${wording}`;
  const cached = byList.get(key);
  if (cached) return cached;
  const built = listValues(list).map((value) => {
    const label = labelOf(list, value, t, wording);
    const aliases = t(`lists:${list}.${value}.aliases`, { defaultValue: '' }).split('|').filter(Boolean);
    return { value, label, labels: [label, ...aliases] };
  });
  byList.set(key, built);
  return built;
}
