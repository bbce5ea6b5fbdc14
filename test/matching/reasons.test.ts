import { describe, expect, it } from 'vitest';
import { createI18n } from '../../bot/i18n.js';
import { prepareMentee } from '../../bot/matching/mentee.js';
import { indexMentors } from '../../bot/matching/mentors.js';
import type { MenteeCandidate, MentorCandidate } from '../../bot/matching/profile.js';
import { REASON_KEYS, type Reason, reasonsFor, renderReasons } from '../../bot/matching/reasons.js';
import { explainPair } from '../../bot/matching/score.js';
import { setProgrammes } from '../../bot/reference/lists.js';
import { AUBAGNE, MARSEILLE_5, mentee, mentor } from './helpers.js';

const i18n = createI18n();
const fr = i18n.getFixedT('fr');
const en = i18n.getFixedT('en');

function reasons(e: MenteeCandidate, m: MentorCandidate): Reason[] {
  const prepared = prepareMentee(e, indexMentors([m]));
  return reasonsFor(prepared, explainPair(prepared, 0));
}

describe('reasons', () => {
  it('says why, in French, strongest first', () => {
    const lea = mentee({ goal: 'business', format: 'in_person' });
    const paul = mentor({
      sectors: ['digital'],
      goals: ['business'],
      skills: [],
      skillsOther: '',
      format: 'both',
      commune: MARSEILLE_5,
      availability: ['evenings'],
    });
    const sentences = renderReasons(reasons(lea, paul), fr);
    // Points: sector 200, goal 150, availability 100, distance about 97 (14 km of 50).
    expect(sentences).toEqual([
      'Même secteur : numérique',
      'Peut vous aider à créer votre entreprise',
      'Disponible en soirée comme vous',
      expect.stringMatching(/^À 1[2-6] km de chez vous$/),
    ]);
    expect(renderReasons(reasons(lea, paul), fr, 2)).toHaveLength(2);
  });

  it('says it in English too', () => {
    const sentences = renderReasons(reasons(mentee(), mentor({ sectors: ['digital'] })), en);
    expect(sentences).toContain('Same sector: digital');
    expect(sentences).toContain('Can help you find a job');
    expect(sentences).toContain('Available in the evening, like you');
    expect(sentences).toContain('Can help you with: CVs and applications');
  });

  it('joins several values as a list and keeps acronyms and English language names', () => {
    const e = mentee({ sectors: ['digital', 'construction'], languages: ['fr', 'en', 'ar'] });
    const m = mentor({ sectors: ['digital', 'construction'], languages: ['fr', 'en', 'ar'] });
    const found = reasons(e, m);
    expect(renderReasons(found, fr)).toContain('Même secteur : numérique et BTP');
    expect(renderReasons(found, fr)).toContain('Parle anglais et arabe comme vous');
    expect(renderReasons(found, en)).toContain('Speaks English and Arabic, like you');
  });

  it('names the same commune, the programme, video and a quick mentor', () => {
    const e = mentee({ format: 'video' }, { programme: 'reseau_entreprendre' });
    const m = mentor({ commune: AUBAGNE }, { medianAnswerHours: 3 });
    const sentences = renderReasons(reasons(e, m), fr);
    expect(sentences).toContain('Accompagne en visio, comme vous le souhaitez');
    expect(sentences).toContain('Fait partie de votre programme : Réseau Entreprendre Provence');
    expect(sentences).toContain('Répond en général en moins de 24 h');
    const near = renderReasons(reasons(mentee({ format: 'in_person' }), mentor({ format: 'both' })), fr);
    expect(near).toContain('Dans votre commune : Aubagne');
  });

  it('knows the programmes of the configuration, with their labels', () => {
    setProgrammes([{ code: 'tremplin', label: 'Tremplin Sud' }]);
    try {
      const e = mentee({}, { programme: 'tremplin' });
      const m = mentor({ programmes: ['tremplin'] });
      expect(renderReasons(reasons(e, m), fr)).toContain('Fait partie de votre programme : Tremplin Sud');
      expect(renderReasons(reasons(e, mentor()), fr).join()).not.toContain('programme');
    } finally {
      setProgrammes(undefined);
    }
  });

  it('gives no reason for what does not match', () => {
    const e = mentee({ sectors: ['health'], availability: ['weekdays'], goal: 'business', expectations: '' });
    const m = mentor({ commune: { code: '13004', name: 'Arles', inArea: true }, format: 'in_person' });
    expect(renderReasons(reasons(e, m), fr)).toEqual([]);
  });

  it('has every reason key in French and English', () => {
    for (const key of [...REASON_KEYS, 'matching:inline_lowercase']) {
      for (const lng of ['fr', 'en']) expect(i18n.exists(key, { lng }), `${lng} ${key}`).toBe(true);
    }
  });

  it('stores as plain JSON', () => {
    const found = reasons(mentee(), mentor({ sectors: ['digital'] }));
    expect(JSON.parse(JSON.stringify(found))).toEqual(found);
  });
});
