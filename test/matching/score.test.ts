import { describe, expect, it } from 'vitest';
import { type Criterion, DEFAULT_MATCHING_CONFIG, matchingConfig } from '../../bot/matching/config.js';
import { penaltiesFromPassed } from '../../bot/matching/penalties.js';
import type { MenteeCandidate, MentorCandidate } from '../../bot/matching/profile.js';
import { maxScore } from '../../bot/matching/score.js';
import { communeLocation, distanceKm } from '../../bot/reference/geo.js';
import type { Profile } from '../../models/person.js';
import { CLAIRE_PROFILE } from '../helpers/journey.js';
import { ARLES, AUBAGNE, explain, MARSEILLE_5, mentee, mentor } from './helpers.js';

/** km between two communes, from the reference data (not hard-coded: the data may be refreshed). */
function km(a: string, b: string): number {
  const from = communeLocation(a);
  const to = communeLocation(b);
  if (from === undefined || to === undefined) throw new Error('unknown commune');
  return distanceKm(from, to);
}

const aubagneToMarseille5 = km(AUBAGNE.code, MARSEILLE_5.code);

// With the default weights (they add up to 100), full points on a criterion are 10 × its weight.
type Row = [
  name: string,
  menteeProfile: Profile,
  mentorProfile: Profile,
  criterion: Criterion,
  points: number,
  more?: { mentee?: Partial<MenteeCandidate>; mentor?: Partial<MentorCandidate> },
];
const IN_PERSON = { format: 'in_person' };

const ROWS: Row[] = [
  ['no sector in common', {}, {}, 'sector', 0],
  ['the same sector', {}, { sectors: ['digital'] }, 'sector', 200],
  ['one of two sectors', { sectors: ['digital', 'commerce'] }, { sectors: ['commerce'] }, 'sector', 100],
  ['goal among the mentor’s', {}, {}, 'goal', 150],
  ['goal not among them', { goal: 'business' }, {}, 'goal', 0],
  ['the skill asked ("Relire mon CV")', {}, {}, 'skills', 150],
  [
    'one of two skills asked, without accents or case',
    { expectations: 'PREPARATION aux entretiens et business plan' },
    { skills: ['interviews'] },
    'skills',
    75,
  ],
  ['a skill from "other skills" text', { expectations: 'Des questions de droit' }, {}, 'skills', 150],
  ['no skill asked', { expectations: 'Être encouragée' }, {}, 'skills', 0],
  ['same commune, in person', IN_PERSON, IN_PERSON, 'distance', 120],
  [
    'Aubagne to Marseille 5e, in person',
    IN_PERSON,
    { ...IN_PERSON, commune: MARSEILLE_5 },
    'distance',
    Math.round((120 * (50 - aubagneToMarseille5)) / 45),
  ],
  ['Aubagne to Arles, in person (over 50 km)', IN_PERSON, { ...IN_PERSON, commune: ARLES }, 'distance', 0],
  ['far, but both want video', { format: 'video' }, { format: 'video', commune: ARLES }, 'distance', 120],
  ['far, video being the only common format', {}, { format: 'video', commune: ARLES }, 'distance', 120],
  [
    'unknown commune',
    { ...IN_PERSON, commune: { code: '99999', name: 'Nulle part', inArea: false } },
    IN_PERSON,
    'distance',
    0,
  ],
  ['formats that clash', IN_PERSON, { format: 'video' }, 'format', 0],
  ['formats that fit', {}, { format: 'video' }, 'format', 80],
  ['same availability', {}, { availability: ['evenings', 'weekends'] }, 'availability', 100],
  ['one of two availabilities', { availability: ['evenings', 'weekdays'] }, {}, 'availability', 50],
  ['no availability in common', {}, { availability: ['weekends'] }, 'availability', 0],
  ['the only language', {}, {}, 'language', 30],
  ['one of two languages', { languages: ['fr', 'ar'] }, {}, 'language', 15],
  // Counting "other" as shared would give 2 of 3 (20): it may be two different languages.
  [
    '"other" is not a shared language',
    { languages: ['fr', 'ar', 'other'] },
    { languages: ['fr', 'other'] },
    'language',
    15,
  ],
  ['3 places left of 3', {}, { capacity: '3' }, 'capacity', 40],
  ['1 place left of 2', {}, {}, 'capacity', 13, { mentor: { activeMentees: 1 } }],
  ['responsiveness unknown: half', {}, {}, 'responsiveness', 30],
  ['answers within a day', {}, {}, 'responsiveness', 60, { mentor: { medianAnswerHours: 10 } }],
  ['answers in two days', {}, {}, 'responsiveness', 30, { mentor: { medianAnswerHours: 48 } }],
  ['lets proposals expire', {}, {}, 'responsiveness', 0, { mentor: { medianAnswerHours: 100 } }],
  ['mentee without programme', {}, {}, 'programme', 70],
  [
    'mentee’s programme is the mentor’s',
    {},
    {},
    'programme',
    70,
    { mentee: { programme: 'reseau_entreprendre' } },
  ],
  ['mentee’s programme is not the mentor’s', {}, {}, 'programme', 0, { mentee: { programme: 'nqt' } }],
];

describe('scoring', () => {
  it.each(ROWS)('%s', (_name, menteeProfile, mentorProfile, criterion, points, more = {}) => {
    const e = explain(mentee(menteeProfile, more.mentee), mentor(mentorProfile, more.mentor));
    expect(e.filtered).toBe(false);
    expect(e.points[criterion]).toBe(points);
  });

  it('adds the points up: Léa and Claire', () => {
    const e = explain(mentee(), mentor());
    // sector 0, goal 150, skills 150, distance 120 (video), availability 100, format 80, language 30,
    // capacity round(40 × 2/3) = 27, responsiveness 30 (unknown), programme 70 (none asked).
    expect(e.score).toBe(757);
    expect(e.penalty).toBe(0);
  });

  it('scores every criterion fully for the ideal mentor, 1000 in all', () => {
    const ideal = mentor(
      { sectors: ['digital'], capacity: '3', format: 'both', languages: ['fr'] },
      { medianAnswerHours: 1 },
    );
    expect(explain(mentee(), ideal).score).toBe(1000);
    expect(maxScore(DEFAULT_MATCHING_CONFIG)).toBe(1000);
  });

  it('takes weights from the config, rescaled to the same 0–1000 scale', () => {
    const config = matchingConfig({ weights: { sector: 0, goal: 45 } });
    const e = explain(mentee(), mentor({ sectors: ['digital'] }), {}, config);
    expect(e.points.sector).toBe(0);
    expect(e.points.goal).toBe(Math.round((1000 * 45) / 110));
    expect(() => matchingConfig({ weights: { sector: -1 } })).toThrow(RangeError);
  });

  it('lowers mentors like those passed a little, capped, never below 0', () => {
    const passed = penaltiesFromPassed([
      { ...CLAIRE_PROFILE, sectors: ['digital'], company: ' ACME  Provence ' },
    ]);
    const same = mentor({ sectors: ['digital'] });
    const before = explain(mentee(), same).score;
    const after = explain(mentee(), same, { penalties: passed });
    // 15 for the shared sector + 40 for the same company, within the cap of 60.
    expect(after.penalty).toBe(55);
    expect(after.score).toBe(before - 55);
    const other = mentor({ sectors: ['health'], company: 'Autre' });
    expect(explain(mentee(), other, { penalties: passed }).penalty).toBe(0);
    const twice = penaltiesFromPassed([
      { sectors: ['digital'], company: 'Acme Provence' },
      { sectors: ['digital'], company: 'Acme Provence' },
    ]);
    expect(explain(mentee(), same, { penalties: twice }).penalty).toBe(DEFAULT_MATCHING_CONFIG.penalties.max);
  });
});
