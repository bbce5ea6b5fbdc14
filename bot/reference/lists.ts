/**
 * The shared lists of Tandem: one each, used by both onboardings, the matching and the staff
 * filters. Labels (and the synonyms typed answers are recognized by) live in
 * locales/<lng>/lists.json under `<list>.<id>.label` and `<list>.<id>.aliases`.
 */
export const LISTS = {
  age: ['under_18', '18_25', '26_35', '36_45', '46_55', 'over_55'],
  situation: ['job_seeker', 'career_change', 'entrepreneur', 'student', 'other'],
  goal: ['employment', 'business', 'career_change'],
  sectors: [
    'digital',
    'commerce',
    'health',
    'construction',
    'industry',
    'tourism',
    'transport',
    'finance',
    'education',
    'agriculture',
    'culture',
    'public',
    'energy',
    'services',
  ],
  availability: ['weekdays', 'evenings', 'weekends'],
  format: ['in_person', 'video', 'both'],
  languages: ['fr', 'en', 'ar', 'es', 'it', 'other'],
  /** What a mentor can help with. */
  skills: [
    'cv',
    'interviews',
    'network',
    'business_plan',
    'funding',
    'legal',
    'marketing',
    'digital',
    'management',
    'career_plan',
    'confidence',
    'public_speaking',
  ],
  /** How many mentees a mentor follows at once: the values are the numbers, as strings. */
  capacity: ['1', '2', '3'],
  /** The partner mentoring schemes the hub brings together (a deep link may name one). */
  programmes: ['cci_tandem', 'reseau_entreprendre', 'initiative', 'france_active', 'nqt', 'egee', 'ecti'],
} as const;

export type ListName = keyof typeof LISTS;
export type ListValue<L extends ListName> = (typeof LISTS)[L][number];

/** A partner programme from the configuration (PROGRAMMES), with its label. */
export interface Programme {
  code: string;
  label: string;
}

let configured: Programme[] | undefined;

/**
 * Replaces the default programme list (the hub's partners change): set once at start-up from
 * PROGRAMMES. Labels come from the configuration; the default list's labels live in locales.
 */
export function setProgrammes(programmes: Programme[] | undefined): void {
  configured = programmes && programmes.length > 0 ? programmes : undefined;
}

/** The values of a shared list (the programmes as configured). */
export function listValues(list: ListName): readonly string[] {
  if (list === 'programmes' && configured) return configured.map((p) => p.code);
  return LISTS[list];
}

/** A configured programme's label, when the list comes from the configuration. */
export function configuredLabel(list: ListName, value: string): string | undefined {
  return list === 'programmes' ? configured?.find((p) => p.code === value)?.label : undefined;
}

/** The label of a list's value in the language of `t` (`wording`: another label of the item). */
export function labelOf(
  list: ListName,
  value: string,
  t: (key: string) => string,
  wording = 'label',
): string {
  return configuredLabel(list, value) ?? t(`lists:${list}.${value}.${wording}`);
}

/** Whether `code` is one of the programmes. */
export function isProgramme(code: string): boolean {
  return listValues('programmes').includes(code);
}
