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

/** Whether `code` is one of the programmes of the shared list. */
export function isProgramme(code: string): boolean {
  return (LISTS.programmes as readonly string[]).includes(code);
}
