/**
 * Realistic generated mentees and mentors, for the cohort tests and `npm run bench -- matching`:
 * values from the shared lists with skewed frequencies, real communes of the Bouches-du-Rhône
 * weighted by population (Marseille by arrondissement), some mentors paused, full or slow to answer.
 * Deterministic for a given seed.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { MenteeCandidate, MentorCandidate } from '../../bot/matching/profile.js';
import type { StoredCommune } from '../../models/person.js';

/** mulberry32: small, fast and good enough to make data. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rnd = () => number;

/** One of `items`, with probability proportional to its weight. */
function pick<T>(rnd: Rnd, items: ReadonlyArray<readonly [T, number]>): T {
  const total = items.reduce((a, [, w]) => a + w, 0);
  let x = rnd() * total;
  for (const [item, w] of items) {
    x -= w;
    if (x < 0) return item;
  }
  return (items[items.length - 1] as readonly [T, number])[0];
}

/** `count` distinct items drawn by weight. */
function pickSome<T>(rnd: Rnd, items: ReadonlyArray<readonly [T, number]>, count: number): T[] {
  const left = [...items];
  const out: T[] = [];
  while (out.length < count && left.length > 0) {
    const item = pick(rnd, left);
    out.push(item);
    left.splice(
      left.findIndex(([i]) => i === item),
      1,
    );
  }
  return out;
}

const SECTORS = [
  ['digital', 14],
  ['commerce', 12],
  ['health', 10],
  ['services', 10],
  ['transport', 8],
  ['tourism', 8],
  ['industry', 7],
  ['construction', 6],
  ['finance', 6],
  ['education', 5],
  ['culture', 5],
  ['energy', 4],
  ['public', 3],
  ['agriculture', 2],
] as const;
const GOALS = [
  ['employment', 60],
  ['business', 25],
  ['career_change', 15],
] as const;
const AVAILABILITY = [
  ['evenings', 40],
  ['weekdays', 35],
  ['weekends', 25],
] as const;
const FORMATS = [
  ['both', 50],
  ['in_person', 25],
  ['video', 25],
] as const;
const EXTRA_LANGUAGES = [
  ['en', 20],
  ['ar', 10],
  ['es', 5],
  ['it', 4],
  ['other', 3],
] as const;
const SKILLS = [
  ['cv', 12],
  ['interviews', 12],
  ['network', 10],
  ['career_plan', 8],
  ['confidence', 8],
  ['business_plan', 7],
  ['funding', 6],
  ['marketing', 6],
  ['management', 6],
  ['digital', 5],
  ['legal', 4],
  ['public_speaking', 4],
] as const;
const PROGRAMMES = [
  ['cci_tandem', 30],
  ['reseau_entreprendre', 15],
  ['initiative', 12],
  ['france_active', 10],
  ['nqt', 12],
  ['egee', 8],
  ['ecti', 8],
] as const;
/** What mentees typically write, each naming one skill or none. */
const EXPECTATIONS = [
  'Relire mon CV',
  'préparer mes entretiens',
  'développer mon réseau professionnel',
  'construire mon business plan',
  'trouver un financement pour mon projet',
  'reprendre confiance en moi',
  'clarifier mon projet professionnel',
  'améliorer ma prise de parole',
  'comprendre le statut juridique',
  'mieux utiliser LinkedIn',
  'avoir des conseils',
  'être écouté et encouragé',
];

interface Place {
  commune: StoredCommune;
  population: number;
}

let places: Array<readonly [StoredCommune, number]> | undefined;

/** Communes of the Bouches-du-Rhône by population; Marseille through its 16 arrondissements. */
export function bouchesDuRhone(): Array<readonly [StoredCommune, number]> {
  if (places !== undefined) return places;
  const require = createRequire(import.meta.url);
  const file = require.resolve('@etalab/decoupage-administratif/data/communes.json');
  const all = JSON.parse(readFileSync(file, 'utf8')) as Array<{
    code: string;
    nom: string;
    type: string;
    departement?: string;
    population?: number;
  }>;
  places = all
    .filter((c) => c.departement === '13' && c.code !== '13055')
    .filter((c) => c.type === 'commune-actuelle' || c.type === 'arrondissement-municipal')
    .map(
      (c): Place => ({ commune: { code: c.code, name: c.nom, inArea: true }, population: c.population ?? 0 }),
    )
    .map((p) => [p.commune, Math.max(100, p.population)] as const);
  return places;
}

function languages(rnd: Rnd): string[] {
  const extra = EXTRA_LANGUAGES.filter(([, pct]) => rnd() * 100 < pct).map(([l]) => l);
  // A few people speak no French (newcomers): they only meet mentors with another shared language.
  return rnd() < 0.02 && extra.length > 0 ? extra : ['fr', ...extra];
}

export function syntheticMentee(rnd: Rnd, id: string): MenteeCandidate {
  const goal = pick(rnd, GOALS);
  return {
    id,
    charterAccepted: rnd() > 0.01,
    programme: rnd() < 0.3 ? pick(rnd, PROGRAMMES) : undefined,
    profile: {
      firstName: 'Léa',
      situation:
        goal === 'business' ? 'entrepreneur' : goal === 'career_change' ? 'career_change' : 'job_seeker',
      goal,
      sectors: pickSome(rnd, SECTORS, 1 + Math.floor(rnd() * 3)),
      commune: pick(rnd, bouchesDuRhone()),
      availability: pickSome(rnd, AVAILABILITY, 1 + Math.floor(rnd() * 2)),
      format: pick(rnd, FORMATS),
      languages: languages(rnd),
      expectations: `${pickSome(
        rnd,
        EXPECTATIONS.map((e) => [e, 1] as const),
        1 + Math.floor(rnd() * 3),
      ).join(', ')}.`,
    },
  };
}

export function syntheticMentor(rnd: Rnd, id: string): MentorCandidate {
  const capacity = pick(rnd, [
    ['1', 40],
    ['2', 35],
    ['3', 25],
  ] as const);
  // Some mentors are already full; most have room.
  const active = rnd() < 0.1 ? Number(capacity) : Math.floor(rnd() * Number(capacity));
  return {
    id,
    paused: rnd() < 0.05,
    activeMentees: active,
    medianAnswerHours: rnd() < 0.3 ? undefined : Math.round(2 + 100 * rnd() ** 2),
    charterAccepted: rnd() > 0.02,
    profile: {
      firstName: 'Claire',
      company: `Entreprise ${Math.floor(rnd() * 200)}`,
      jobTitle: 'Responsable',
      sectors: pickSome(rnd, SECTORS, 1 + Math.floor(rnd() * 2)),
      goals: pickSome(rnd, GOALS, 1 + Math.floor(rnd() * 3)),
      skills: pickSome(rnd, SKILLS, 2 + Math.floor(rnd() * 4)),
      skillsOther: rnd() < 0.2 ? 'Droit du travail' : '',
      programmes: pickSome(rnd, PROGRAMMES, Math.floor(rnd() * 3)),
      capacity,
      availability: pickSome(rnd, AVAILABILITY, 1 + Math.floor(rnd() * 3)),
      format: pick(rnd, FORMATS),
      commune: pick(rnd, bouchesDuRhone()),
      languages: languages(rnd),
      bio: 'Vingt ans de métier.',
      showCompany: rnd() < 0.7 ? 'yes' : 'no',
    },
  };
}

export function syntheticMentees(count: number, seed: number): MenteeCandidate[] {
  const rnd = random(seed);
  return Array.from({ length: count }, (_, i) => syntheticMentee(rnd, `mentee-${seed}-${i}`));
}

export function syntheticMentors(count: number, seed: number): MentorCandidate[] {
  const rnd = random(seed);
  return Array.from({ length: count }, (_, i) => syntheticMentor(rnd, `mentor-${seed}-${i}`));
}
