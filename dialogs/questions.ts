import type { TFunction } from '../bot/i18n.js';
import { LISTS, type ListName } from '../bot/reference/lists.js';

/** Marks a literal locale key (so the locale test finds it) without translating it yet. */
export const tk = (key: string): string => key;

interface Base {
  /** Stable id: the profile field, the button's `q`. */
  id: string;
  /** Locale key of the question. */
  prompt: string;
  /** Locale key of the short name shown in the summary and the edit menu. */
  name?: string;
}

export type Question =
  | (Base & { kind: 'choice'; list: ListName })
  | (Base & { kind: 'multi'; list: ListName; max: number })
  | (Base & { kind: 'text'; min: number; max: number; firstName?: boolean })
  | (Base & { kind: 'commune' })
  | (Base & { kind: 'confirm'; yes: string; no: string })
  | (Base & { kind: 'pick'; choices: string[] });

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
});

const BY_ID = new Map(QUESTIONS.map((q) => [q.id, q]));

export function question(id: string): Question {
  const q = BY_ID.get(id);
  if (!q) throw new Error(`unknown question ${id}`);
  return q;
}

export interface Option {
  value: string;
  label: string;
  labels: string[];
}

const cache = new WeakMap<TFunction, Map<ListName, Option[]>>();

/**
 * The options of a list in the user's language, with the synonyms typed answers may use. Cached
 * per translation function (the pipeline keeps one per locale), so the recognizer's own cache,
 * keyed on these objects, is hit on every turn.
 */
export function options(list: ListName, t: TFunction): Option[] {
  const byList = cache.get(t) ?? new Map<ListName, Option[]>();
  cache.set(t, byList);
  const cached = byList.get(list);
  if (cached) return cached;
  const built = LISTS[list].map((value) => {
    const label = t(`lists:${list}.${value}.label`);
    const aliases = t(`lists:${list}.${value}.aliases`, { defaultValue: '' }).split('|').filter(Boolean);
    return { value, label, labels: [label, ...aliases] };
  });
  byList.set(list, built);
  return built;
}

export function labelOf(list: ListName, value: string, t: TFunction): string {
  return t(`lists:${list}.${value}.label`);
}
