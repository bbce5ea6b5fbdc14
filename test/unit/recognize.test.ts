import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  type ChoiceOption,
  normalize,
  type Recognized,
  recognizeChoice,
  recognizeYesNo,
  YES_NO,
} from '../../bot/engine/recognize.js';

const SITUATIONS: ChoiceOption[] = [
  { value: 'job_seeker', labels: ["Demandeur·se d'emploi", "demandeur d'emploi", 'chômage'] },
  { value: 'retraining', labels: ['En reconversion', 'reconversion professionnelle'] },
  {
    value: 'founder',
    labels: ["Créateur·rice ou repreneur·se d'entreprise", "création d'entreprise", "reprise d'entreprise"],
  },
  { value: 'student', labels: ['Étudiant·e'] },
  { value: 'other', labels: ['Autre'] },
];

const SECTORS: ChoiceOption[] = [
  { value: 'digital', labels: ['Numérique', 'informatique', 'digital'] },
  { value: 'commerce', labels: ['Commerce'] },
  { value: 'health', labels: ['Santé', 'médical'] },
  { value: 'construction', labels: ['BTP', 'bâtiment', 'travaux publics'] },
  { value: 'industry', labels: ['Industrie'] },
  { value: 'tourism', labels: ['Tourisme'] },
  { value: 'transport', labels: ['Transport et logistique'] },
];

const FORMATS: ChoiceOption[] = [
  { value: 'onsite', labels: ['Présentiel', 'en personne'] },
  { value: 'remote', labels: ['Visio', 'visioconférence', 'à distance'] },
  { value: 'both', labels: ['Les deux'] },
];

const AGES: ChoiceOption[] = [
  { value: 'under_18', labels: ['Moins de 18 ans', 'mineur', 'mineure', '17', '16', '15'] },
  { value: '18_25', labels: ['18 à 25 ans', '18-25', 'moins de 25 ans'] },
  { value: '26_35', labels: ['26 à 35 ans', '26-35'] },
  { value: '36_45', labels: ['36 à 45 ans', '36-45'] },
  { value: '46_55', labels: ['46 à 55 ans', '46-55'] },
  { value: 'over_55', labels: ['Plus de 55 ans', 'senior', 'plus de 55', '56 ans et plus'] },
];

const AVAILABILITY: ChoiceOption[] = [
  { value: 'weekdays', labels: ['En semaine', 'semaine', 'journée', 'la journée'] },
  { value: 'evenings', labels: ['En soirée', 'soir', 'soirée', 'le soir'] },
  { value: 'weekends', labels: ['Le week-end', 'week-end', 'weekend', 'samedi', 'dimanche'] },
];

const one = (value: string): Recognized => ({ kind: 'one', value });
const many = (...values: string[]): Recognized => ({ kind: 'many', values });
const ambiguous = (...values: string[]): Recognized => ({ kind: 'ambiguous', values });
const none: Recognized = { kind: 'none' };

describe('normalize', () => {
  it.each([
    ["Demandeur·se d'emploi", 'demandeur se d emploi'],
    ['Demandeur·se d’emploi', 'demandeur se d emploi'],
    ['Étudiant·e', 'etudiant e'],
    ['  SANTÉ !!  ', 'sante'],
    ['BTP/Industrie_2', 'btp industrie 2'],
    ['Transport-et-logistique', 'transport et logistique'],
    ['n°2', 'n 2'],
    ['Œuvre   Ça  va ?', 'oeuvre ca va'],
    ['😀😀', ''],
    ['', ''],
  ])('%j → %j', (input, expected) => {
    expect(normalize(input)).toBe(expected);
  });
});

describe('recognizeChoice', () => {
  describe('rule 1: the value posted by a button', () => {
    it.each([
      ['job_seeker', SITUATIONS, 'job_seeker'],
      ['  founder ', SITUATIONS, 'founder'],
      ['construction', SECTORS, 'construction'],
      ['both', FORMATS, 'both'],
    ])('%j → %s', (input, options, value) => {
      expect(recognizeChoice(input, options)).toEqual(one(value));
      expect(recognizeChoice(input, options, { multiple: true })).toEqual(one(value));
    });
  });

  describe('rule 2: positions', () => {
    it.each([
      ['1', 'digital'],
      ['2.', 'commerce'],
      ['2)', 'commerce'],
      ['n°3', 'health'],
      ['n° 3', 'health'],
      ['#3', 'health'],
      ['le 4', 'construction'],
      ["l'option 4", 'construction'],
      ['cinq', 'industry'],
      ['deux', 'commerce'],
      ['second', 'commerce'],
      ['la seconde', 'commerce'],
      ['deuxième', 'commerce'],
      ['la troisième', 'health'],
      ['1er', 'digital'],
      ['le premier', 'digital'],
      ['2e', 'commerce'],
      ['2ème', 'commerce'],
      ['7', 'transport'],
      ['le dernier', 'transport'],
      ['le 2 svp', 'commerce'],
    ])('%j → %s', (input, value) => {
      expect(recognizeChoice(input, SECTORS)).toEqual(one(value));
    });

    it.each(['0', '8', 'dix', '42', 'le 12'])('%j is out of range → none', (input) => {
      expect(recognizeChoice(input, SECTORS)).toEqual(none);
    });

    it('on a proposal card, a label named in a negation is not chosen; a refusal among the synonyms is', () => {
      const card = JSON.parse(
        readFileSync(new URL('../../locales/fr/proposals.json', import.meta.url), 'utf8'),
      ).card as Record<string, string>;
      const CARD: ChoiceOption[] = ['interested', 'pass', 'later'].map((v) => ({
        value: v,
        labels: [card[v] ?? '', ...(card[`${v}_aliases`] ?? '').split('|')],
      }));
      const typed = (input: string) => recognizeChoice(input, CARD, { refuseNegated: true });
      for (const input of [
        "ça m'intéresse pas du tout",
        'pourquoi pas',
        "ça ne m'intéresse plus",
        'pas de souci',
      ])
        expect(typed(input), input).toEqual(none);
      expect(typed("Ça ne m'intéresse pas")).toEqual(one('pass'));
      expect(typed('je ne suis pas intéressé')).toEqual(one('pass'));
      expect(typed('non merci')).toEqual(one('pass'));
      expect(typed('pas maintenant')).toEqual(one('later'));
      expect(typed("oui, ça m'intéresse")).toEqual(one('interested'));
      // Elsewhere a negation is often the answer itself.
      expect(recognizeChoice("je n'ai pas d'emploi", SITUATIONS)).toEqual(one('job_seeker'));
    });

    it('"2" is the second format, "les deux" / "les 2" is the option "Les deux"', () => {
      expect(recognizeChoice('2', FORMATS)).toEqual(one('remote'));
      expect(recognizeChoice('deux', FORMATS)).toEqual(one('remote'));
      expect(recognizeChoice('les deux', FORMATS)).toEqual(one('both'));
      expect(recognizeChoice('Les 2 !', FORMATS)).toEqual(one('both'));
    });

    it.each([
      ['1, 3 et 4', many('digital', 'health', 'construction')],
      ['1 3 4', many('digital', 'health', 'construction')],
      ['4, 1', many('digital', 'construction')],
      ['un et trois', many('digital', 'health')],
      ['le 2 et le 5', many('commerce', 'industry')],
      ['2 et 2', one('commerce')],
      ['3', one('health')],
      ['1, 3 et 9', none],
    ])('with multiple: %j', (input, expected) => {
      expect(recognizeChoice(input, SECTORS, { multiple: true })).toEqual(expected);
    });

    it('several positions without multiple → ambiguous', () => {
      expect(recognizeChoice('1 et 3', SECTORS)).toEqual(ambiguous('digital', 'health'));
    });

    it('a label that is a number wins over the position', () => {
      const hours: ChoiceOption[] = [
        { value: 'h1', labels: ['1'] },
        { value: 'h3', labels: ['3'] },
        { value: 'h5', labels: ['5'] },
      ];
      expect(recognizeChoice('3', hours)).toEqual(one('h3'));
      expect(recognizeChoice('le 2', hours)).toEqual(one('h3'));
    });
  });

  describe('rule 3: a normalized label', () => {
    it.each([
      ["Demandeur·se d'emploi", SITUATIONS, 'job_seeker'],
      ['demandeur d’emploi', SITUATIONS, 'job_seeker'],
      ["demandeuse d'emploi", SITUATIONS, 'job_seeker'],
      ['DEMANDEUSE D EMPLOI', SITUATIONS, 'job_seeker'],
      ['chomage', SITUATIONS, 'job_seeker'],
      ['Je suis au chômage.', SITUATIONS, 'job_seeker'],
      ['en reconversion', SITUATIONS, 'retraining'],
      ['Je suis en reconversion', SITUATIONS, 'retraining'],
      ["créatrice ou repreneuse d'entreprise", SITUATIONS, 'founder'],
      ["createur ou repreneur d'entreprise", SITUATIONS, 'founder'],
      ['étudiante', SITUATIONS, 'student'],
      ['Étudiant', SITUATIONS, 'student'],
      ['etudiant·e', SITUATIONS, 'student'],
      ['autre', SITUATIONS, 'other'],
      ['numérique', SECTORS, 'digital'],
      ['NUMERIQUE !', SECTORS, 'digital'],
      ['santé', SECTORS, 'health'],
      ['btp', SECTORS, 'construction'],
      ['le BTP', SECTORS, 'construction'],
      ['bâtiment', SECTORS, 'construction'],
      ['Transport et logistique', SECTORS, 'transport'],
      ['transport & logistique', SECTORS, 'transport'],
      ['présentiel', FORMATS, 'onsite'],
      ['en visio', FORMATS, 'remote'],
      ['à distance', FORMATS, 'remote'],
    ])('%j → %s', (input, options, value) => {
      expect(recognizeChoice(input, options)).toEqual(one(value));
    });
  });

  describe('rule 4: whole words contained', () => {
    it.each([
      ['demandeur', SITUATIONS, 'job_seeker'],
      ['demandeuse', SITUATIONS, 'job_seeker'],
      ['emploi', SITUATIONS, 'job_seeker'],
      ['je cherche un emploi', SITUATIONS, 'job_seeker'],
      ["créatrice d'entreprise", SITUATIONS, 'founder'],
      ['repreneuse', SITUATIONS, 'founder'],
      ['entreprise', SITUATIONS, 'founder'],
      ['je suis étudiante en master', SITUATIONS, 'student'],
      ['reconversion', SITUATIONS, 'retraining'],
      ['une autre situation', SITUATIONS, 'other'],
      ['logistique', SECTORS, 'transport'],
      ['transport', SECTORS, 'transport'],
      ['je travaille dans le transport routier', SECTORS, 'transport'],
      ['je bosse dans le commerce depuis 10 ans', SECTORS, 'commerce'],
      ['le secteur de la santé', SECTORS, 'health'],
      ['travaux', SECTORS, 'construction'],
      ['visioconférence', FORMATS, 'remote'],
    ])('%j → %s', (input, options, value) => {
      expect(recognizeChoice(input, options)).toEqual(one(value));
    });

    it('several options named without multiple → ambiguous', () => {
      expect(recognizeChoice('numérique et commerce', SECTORS)).toEqual(ambiguous('digital', 'commerce'));
      expect(recognizeChoice('santé ou tourisme', SECTORS)).toEqual(ambiguous('health', 'tourism'));
    });

    it('a word shared by several labels → ambiguous', () => {
      const trainings: ChoiceOption[] = [
        { value: 'online_training', labels: ['Formation en ligne'] },
        { value: 'onsite_training', labels: ['Formation en présentiel'] },
        { value: 'coaching', labels: ['Coaching'] },
      ];
      expect(recognizeChoice('formation', trainings)).toEqual(
        ambiguous('online_training', 'onsite_training'),
      );
      expect(recognizeChoice('formation en ligne', trainings)).toEqual(one('online_training'));
      expect(recognizeChoice('la formation présentielle', trainings)).toEqual(one('onsite_training'));
    });

    it('the longest label named wins over a label inside it', () => {
      const shops: ChoiceOption[] = [
        { value: 'retail', labels: ['Commerce'] },
        { value: 'wholesale', labels: ['Commerce de gros'] },
      ];
      expect(recognizeChoice('je fais du commerce de gros', shops)).toEqual(one('wholesale'));
      expect(recognizeChoice('je fais du commerce', shops)).toEqual(one('retail'));
    });

    it.each([
      ['numérique et commerce', many('digital', 'commerce')],
      ['commerce, numérique', many('digital', 'commerce')],
      ['Santé / BTP / Tourisme', many('health', 'construction', 'tourism')],
      ['commerce et transport', many('commerce', 'transport')],
      ['transport et logistique', one('transport')],
      ['transport et logistique, industrie', many('industry', 'transport')],
      ['numerik et comerce', many('digital', 'commerce')],
      ['santé', one('health')],
      ['présentiel et visio', many('onsite', 'remote')],
    ])('with multiple: %j', (input, expected) => {
      const options = input.includes('visio') ? FORMATS : SECTORS;
      expect(recognizeChoice(input, options, { multiple: true })).toEqual(expected);
    });
  });

  describe('rule 5: close typos', () => {
    it.each([
      ['numerik', SECTORS, 'digital'],
      ['numériqe', SECTORS, 'digital'],
      ['comerce', SECTORS, 'commerce'],
      ['commmerce', SECTORS, 'commerce'],
      ['snaté', SECTORS, 'health'],
      ['indsutrie', SECTORS, 'industry'],
      ['turisme', SECTORS, 'tourism'],
      ['logistik', SECTORS, 'transport'],
      ['visiio', FORMATS, 'remote'],
      ['vizio', FORMATS, 'remote'],
      ['presentielle', FORMATS, 'onsite'],
      ['autres', SITUATIONS, 'other'],
      ['reconvertion', SITUATIONS, 'retraining'],
      ['demandeur d emploie', SITUATIONS, 'job_seeker'],
    ])('%j → %s', (input, options, value) => {
      expect(recognizeChoice(input, options)).toEqual(one(value));
    });

    it('a tie → ambiguous', () => {
      const cities: ChoiceOption[] = [
        { value: 'marne', labels: ['Marne'] },
        { value: 'marte', labels: ['Marte'] },
        { value: 'paris', labels: ['Paris'] },
      ];
      expect(recognizeChoice('marme', cities)).toEqual(ambiguous('marne', 'marte'));
      expect(recognizeChoice('marnee', cities)).toEqual(one('marne'));
    });

    it.each(['vsiiooo', 'comptabilité', 'bt', 'xyz'])('too far: %j → none', (input) => {
      expect(recognizeChoice(input, [...SECTORS, ...FORMATS])).toEqual(none);
    });
  });

  describe('not taken for another answer', () => {
    it.each([
      // Two letters from "mineur": a word of its own, not a typo.
      ['majeur', AGES],
      ['majeure', AGES],
      ['je suis majeur', AGES],
      // A typo never changes a number.
      ['plus de 18 ans', AGES],
      ['plus de 30 ans', AGES],
      // A label named to rule it out.
      ['pas le soir', AVAILABILITY],
      ['sauf le week-end', AVAILABILITY],
      ['pas en visio', FORMATS],
      ['jamais en présentiel', FORMATS],
    ])('%j → nothing (asked again)', (input, options) => {
      expect(recognizeChoice(input, options, { multiple: true })).toEqual(none);
    });

    it('keeps what is named beside what is ruled out', () => {
      expect(recognizeChoice('pas le soir, le week-end', AVAILABILITY, { multiple: true })).toEqual(
        one('weekends'),
      );
      expect(recognizeChoice('en semaine mais pas le samedi', AVAILABILITY, { multiple: true })).toEqual(
        one('weekdays'),
      );
    });

    it.each([
      ['fr', 'format', 'distanciel', 'video'],
      ['fr', 'format', 'en vidéo', 'video'],
      ['fr', 'format', 'tous les deux', 'both'],
      ['fr', 'format', 'présentiel ou distanciel', 'both'],
      ['fr', 'goal', 'retrouver un emploi', 'employment'],
      ['fr', 'goal', 'reprendre un restaurant', 'business'],
      ['fr', 'goal', "je n'ai pas de travail", 'employment'],
      ['fr', 'availability', 'je ne sais pas, le soir', 'evenings'],
      ['fr', 'languages', 'pas que le français', 'fr'],
      ['fr', 'languages', "pas qu'en français", 'fr'],
      ['en', 'languages', 'not only English', 'en'],
      ['en', 'languages', 'not just English', 'en'],
      ['fr', 'goal', 'reprendre une entreprise', 'business'],
      ['en', 'format', 'either is fine', 'both'],
    ])('the shared lists (%s): at %s, %j is %s', (lng, list, input, value) => {
      const lists = JSON.parse(
        readFileSync(new URL(`../../locales/${lng}/lists.json`, import.meta.url), 'utf8'),
      ) as Record<string, Record<string, { label: string; aliases?: string }>>;
      const options = Object.entries(lists[list] ?? {}).map(([v, item]) => ({
        value: v,
        labels: [item.label, ...(item.aliases ?? '').split('|').filter(Boolean)],
      }));
      expect(recognizeChoice(input, options)).toEqual(one(value));
    });

    it('still takes a typo of the same number, and a long word two letters off', () => {
      expect(recognizeChoice('plus de 55 an', AGES)).toEqual(one('over_55'));
      expect(recognizeChoice('36 a 45 anss', AGES)).toEqual(one('36_45'));
      expect(recognizeChoice('infromatique', SECTORS)).toEqual(one('digital'));
    });
  });

  describe('rule 6: nothing, and junk', () => {
    it.each([
      '',
      '   ',
      '😀😀',
      '👍',
      '?!',
      '<script>alert(1)</script>',
      'a'.repeat(10_000),
      `numérique ${'x'.repeat(200)}`,
      'je ne sais pas',
      'bonjour',
      'le',
      'et',
    ])('%j → none', (input) => {
      for (const options of [SITUATIONS, SECTORS, FORMATS]) {
        expect(recognizeChoice(input, options)).toEqual(none);
        expect(recognizeChoice(input, options, { multiple: true })).toEqual(none);
      }
    });

    it('no options → none', () => {
      expect(recognizeChoice('numérique', [])).toEqual(none);
    });
  });

  it('follows labels changed in place (no stale cache)', () => {
    const option: ChoiceOption = { value: 'x', labels: ['Jardinage'] };
    expect(recognizeChoice('jardinage', [option])).toEqual(one('x'));
    option.labels = ['Cuisine'];
    expect(recognizeChoice('jardinage', [option])).toEqual(none);
    expect(recognizeChoice('cuisine', [option])).toEqual(one('x'));
  });

  it('answers 1,000 random inputs against 20 options (speed: npm run bench -- recognize)', () => {
    const options: ChoiceOption[] = [...SITUATIONS, ...SECTORS, ...FORMATS, ...SITUATIONS.slice(0, 5)].map(
      (option, i) => ({ value: `${option.value}_${i}`, labels: [...option.labels] }),
    );
    expect(options).toHaveLength(20);
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    const alphabet = 'abcdeéèfghijklmnopqrstuvwxyz ·-,.!?0123456789';
    const words = options.flatMap((option) => option.labels.flatMap((label) => label.split(' ')));
    const pick = <T>(list: T[]): T => list[Math.floor(random() * list.length)] as T;
    const typo = (word: string) => {
      const at = Math.floor(random() * word.length);
      return word.slice(0, at) + pick([...alphabet]) + word.slice(at + 1);
    };
    const inputs: string[] = [];
    for (let i = 0; i < 1100; i++) {
      const kind = i % 3;
      if (kind === 0) {
        // Junk, up to a bit over the 200-character cap.
        inputs.push(Array.from({ length: Math.floor(random() * 220) }, () => pick([...alphabet])).join(''));
      } else if (kind === 1) {
        // One to three label words, one of them mistyped.
        const count = 1 + Math.floor(random() * 3);
        inputs.push([typo(pick(words)), ...Array.from({ length: count - 1 }, () => pick(words))].join(' '));
      } else {
        // A long sentence of label words.
        inputs.push(Array.from({ length: 1 + Math.floor(random() * 30) }, () => pick(words)).join(' '));
      }
    }
    const values = new Set(options.map((o) => o.value));
    for (const multiple of [false, true]) {
      for (const input of inputs.slice(0, 1000)) {
        const r = recognizeChoice(input, options, { multiple });
        const named = r.kind === 'one' ? [r.value] : r.kind === 'none' ? [] : r.values;
        expect(named.every((v) => values.has(v))).toBe(true);
      }
    }
  });
});

describe('recognizeYesNo', () => {
  it.each([
    'oui',
    'Oui !',
    'OUI.',
    'ouais',
    'ouai',
    'ok',
    'OK super',
    'okay',
    'oui merci',
    'Oui, merci beaucoup !',
    "d'accord",
    'd’accord',
    'dac',
    'daccord',
    'bien sûr',
    'Bien sûr !',
    'volontiers',
    'yes',
    'exact',
    "c'est correct",
    'correct',
    "j'accepte",
    'accepte',
    'je suis d’accord',
    '👍',
    '✅',
    '👍🏽',
    'oui 👍',
    'ouiii',
    'ok, d’accord',
  ])('fr yes: %j', (input) => {
    expect(recognizeYesNo(input)).toBe('yes');
    expect(recognizeYesNo(input, 'fr')).toBe('yes');
  });

  it.each([
    'non',
    'Non.',
    'NON !',
    'nan',
    'no',
    'non merci',
    'Non, merci.',
    'pas maintenant',
    'plus tard',
    'je refuse',
    'refuse',
    "pas d'accord",
    '👎',
    '❌',
    'nooon',
    'non, pas maintenant',
  ])('fr no: %j', (input) => {
    expect(recognizeYesNo(input, 'fr')).toBe('no');
  });

  it.each([
    'peut-être',
    'oui et non',
    'oui mais plus tard',
    'bof',
    'merci',
    'je ne sais pas',
    '',
    '   ',
    '👍👎',
    '❌ oui',
    '😀',
    'oui '.repeat(60),
  ])('fr unclear: %j', (input) => {
    expect(recognizeYesNo(input, 'fr')).toBeUndefined();
  });

  it.each([
    ['yes', 'yes'],
    ['Yeah!', 'yes'],
    ['yep', 'yes'],
    ['sure', 'yes'],
    ['ok', 'yes'],
    ['okay thanks', 'yes'],
    ['I agree', 'yes'],
    ['agree', 'yes'],
    ['accept', 'yes'],
    ['👍', 'yes'],
    ['no', 'no'],
    ['nope', 'no'],
    ['not now', 'no'],
    ['later', 'no'],
    ['decline', 'no'],
    ['refuse', 'no'],
    ['No, thanks.', 'no'],
    ['maybe', undefined],
    ['yes and no', undefined],
  ])('en: %j → %s', (input, expected) => {
    expect(recognizeYesNo(input, 'en')).toBe(expected);
  });

  it('every listed phrase is recognized in its own locale', () => {
    for (const locale of ['fr', 'en'] as const) {
      for (const phrase of YES_NO[locale].yes) expect(recognizeYesNo(phrase, locale)).toBe('yes');
      for (const phrase of YES_NO[locale].no) expect(recognizeYesNo(phrase, locale)).toBe('no');
    }
  });
});
