import type { Connection } from 'mongoose';
import { identityId, identityModel } from '../../models/identity.js';
import type { Profile } from '../../models/person.js';
import type { Reply, TestBot } from './bot.js';

/** What one step sends: a text typed, or a press of the button of that title. */
export type Input = string | { press: string };

/** An onboarding played step by step; each step is named after what it answers. */
export type Journey = Array<[name: string, input: Input]>;

/** Léa's mentee onboarding, by buttons and typing. */
export const LEA: Journey = [
  ['hello', 'Bonjour'],
  ['consent', { press: "J'accepte" }],
  ['age', { press: '26 à 35 ans' }],
  ['firstName', 'Léa'],
  ['situation', "demandeuse d'emploi"],
  ['goal', { press: 'Trouver un emploi salarié' }],
  ['sectors', 'numérique'],
  ['sectors_done', { press: "C'est tout" }],
  ['commune', 'Aubagne'],
  ['availability', 'le soir'],
  ['availability_done', "c'est tout"],
  ['format', '3'],
  ['languages', { press: 'Français' }],
  ['languages_done', { press: "C'est tout" }],
  ['expectations', 'Relire mon CV.'],
  ['summary', { press: "C'est correct" }],
  ['charter', { press: "J'accepte la charte" }],
];

/** The profile Léa's whole journey leaves. */
export const LEA_PROFILE: Profile = {
  age: '26_35',
  firstName: 'Léa',
  situation: 'job_seeker',
  goal: 'employment',
  sectors: ['digital'],
  commune: { code: '13005', name: 'Aubagne', inArea: true },
  availability: ['evenings'],
  format: 'both',
  languages: ['fr'],
  expectations: 'Relire mon CV.',
};

/**
 * Claire's mentor onboarding, by buttons and typing: every multi-select, typed and pressed, the
 * optional skills text given, a partner programme, a capacity typed in words.
 */
export const CLAIRE: Journey = [
  ['hello', 'Bonjour'],
  ['consent', { press: "J'accepte" }],
  ['firstName', 'Claire'],
  ['company', 'Acme Provence'],
  ['jobTitle', 'Directrice des ressources humaines'],
  ['sectors', 'services et industrie'],
  ['sectors_done', { press: "C'est tout" }],
  ['goals', { press: 'Emploi salarié' }],
  ['goals_more', 'reconversion'],
  ['goals_done', "c'est tout"],
  ['skills', 'cv et entretiens'],
  ['skills_more', { press: 'Confiance en soi' }],
  ['skills_done', { press: "C'est tout" }],
  ['skillsOther', 'Droit du travail'],
  ['programmes', { press: 'Réseau Entreprendre Provence' }],
  ['programmes_done', { press: "C'est tout" }],
  ['capacity', 'deux'],
  ['availability', { press: 'En soirée' }],
  ['availability_done', "c'est tout"],
  ['format', 'visio'],
  ['commune', 'Aubagne'],
  ['languages', 'français et anglais'],
  ['languages_done', "c'est tout"],
  ['bio', "DRH depuis 15 ans, j'aime aider à préparer un entretien."],
  ['showCompany', 'oui'],
  ['summary', { press: "C'est correct" }],
  ['charter', { press: "J'accepte la charte" }],
];

/** The profile Claire's whole journey leaves. */
export const CLAIRE_PROFILE: Profile = {
  firstName: 'Claire',
  company: 'Acme Provence',
  jobTitle: 'Directrice des ressources humaines',
  sectors: ['industry', 'services'],
  goals: ['employment', 'career_change'],
  skills: ['cv', 'interviews', 'confidence'],
  skillsOther: 'Droit du travail',
  programmes: ['reseau_entreprendre'],
  capacity: '2',
  availability: ['evenings'],
  format: 'video',
  commune: { code: '13005', name: 'Aubagne', inArea: true },
  languages: ['fr', 'en'],
  bio: "DRH depuis 15 ans, j'aime aider à préparer un entretien.",
  showCompany: 'yes',
};

/** The person behind the test channel's `user`. */
export async function personOf(t: TestBot, conn: Connection, user: string) {
  const identity = await identityModel(conn).findById(identityId(t.channel.id, user)).lean();
  if (!identity) throw new Error(`no identity for ${user}`);
  const person = await t.bot.services.people.get(identity.personId);
  if (!person) throw new Error(`no person for ${user}`);
  return person;
}

/** Sends one step's input: its text, or the value of the button pressed, as a channel would. */
export function send(t: TestBot, user: string, input: Input): Promise<Reply[]> {
  return typeof input === 'string' ? t.say(user, input) : t.press(user, input.press);
}

/** Where step `name` stands in `journey`; 'end' is past its last step. */
export function stepIndex(journey: Journey, name: string): number {
  if (name === 'end') return journey.length;
  const i = journey.findIndex(([n]) => n === name);
  if (i < 0) throw new Error(`no step ${name}`);
  return i;
}

/**
 * Plays `journey` as `user` from step `from` (default: the first) up to step `until` (default and
 * 'end': all), excluded, so that the question `until` answers is pending; passes each step's
 * replies to `check`, if given, and returns the last replies.
 */
export async function play(
  t: TestBot,
  user: string,
  journey: Journey,
  { until = 'end', from, check }: { until?: string; from?: string; check?: (replies: Reply[]) => void } = {},
): Promise<Reply[]> {
  const start = from === undefined ? 0 : stepIndex(journey, from);
  let replies: Reply[] = [];
  for (const [, input] of journey.slice(start, stepIndex(journey, until))) {
    replies = await send(t, user, input);
    check?.(replies);
  }
  return replies;
}
