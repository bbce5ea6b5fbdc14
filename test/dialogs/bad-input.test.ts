import type { Activity } from 'botbuilder';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../bot/config.js';
import type { Database } from '../../bot/db/database.js';
import type { ButtonValue } from '../../bot/engine/reply.js';
import { createI18n } from '../../bot/i18n.js';
import { makeTestBot, type Reply, type TestBot, texts } from '../helpers/bot.js';
import { useTestDb } from '../helpers/db.js';
import { LEA, LEA_PROFILE, personOf, play } from '../helpers/journey.js';

/**
 * Bad input at every kind of step of the mentee onboarding: each gets a kind re-ask of the
 * current question (never the technical error), and nothing already answered is lost. Typing
 * works wherever buttons are offered, and repeated failures bring the help hint.
 */

let db: Database;
let t: TestBot;

beforeAll(async () => {
  db = await useTestDb('bad_input');
  t = makeTestBot(db.connection);
});

/** The French wording, from locales/fr. */
const fr = createI18n().getFixedT('fr');
const privacyUrl = loadConfig({ NODE_ENV: 'test' }).privacyNoticeUrl;
const TECHNICAL = 'Un souci technique';
const HINT = fr('common:ask.hint');

// ---------------------------------------------------------------------------------------------
// Léa's onboarding (LEA, in ../helpers/journey.ts), by buttons and typing.

const SUMMARY_LINES = [
  "• Tranche d'âge : 26 à 35 ans",
  '• Prénom : Léa',
  "• Situation : Demandeur·se d'emploi",
  '• Objectif : Trouver un emploi salarié',
  '• Secteurs : Numérique',
  '• Commune : Aubagne',
  '• Disponibilités : En soirée',
  '• Format : Les deux',
  '• Langues : Français',
];
const summaryOf = (expectations: string) =>
  `${fr('onboarding:summary.intro')}\n\n${[...SUMMARY_LINES, `• Attentes : ${expectations}`].join('\n')}`;

const noTechnicalError = (replies: Reply[]) => expect(texts(replies)).not.toContain(TECHNICAL);

// ---------------------------------------------------------------------------------------------
// 1. Bad input at every kind of step

const EMPTY = '';
const LONG = 'a'.repeat(10_000);
const EMOJI = '😀🎉';
const SCRIPT = '<script>alert(1)</script>';
const BOLD = '<b>Léa</b>';
const IMAGE: Partial<Activity> = {
  attachments: [{ contentType: 'image/jpeg', contentUrl: 'http://x/y.jpg' }],
};

type Bad = 'empty' | 'long' | 'emoji' | 'script' | 'bold' | 'earlier' | 'unknown' | 'image';

interface Step {
  /** The pending question. */
  q: string;
  /** What kind of question it is (for the test names). */
  kind: string;
  /** The journey step the question is pending at. */
  at: string;
  /** Its wording, as asked. */
  prompt: string;
  /** What the re-ask starts with, before the reason (a multi-select keeps what was chosen). */
  head?: string;
  /** A button of an earlier question (consent, the first one, gets one of a later question). */
  earlier: ButtonValue;
  /** The reason given for each bad input where it is not the common one. */
  reasons: Partial<Record<Bad, string>>;
}

const COMMON_REASONS: Record<'empty' | 'earlier' | 'image', string> = {
  empty: fr('common:ask.empty'),
  earlier: fr('common:ask.stale_button'),
  image: fr('common:ask.text_only'),
};
const notUnderstood = fr('common:ask.not_understood');
const yesOrNo = fr('common:ask.yes_or_no');
const notFound = fr('onboarding:commune.not_found');

const STEPS: Step[] = [
  {
    q: 'consent',
    kind: 'yes/no',
    at: 'consent',
    prompt: fr('onboarding:consent.ask', { privacyUrl }),
    earlier: { q: 'age', v: '26_35' },
    reasons: {
      long: yesOrNo,
      emoji: yesOrNo,
      script: yesOrNo,
      bold: yesOrNo,
      unknown: fr('common:ask.unknown_button'),
    },
  },
  {
    q: 'situation',
    kind: 'choice',
    at: 'situation',
    prompt: fr('onboarding:ask.situation'),
    earlier: { q: 'age', v: '18_25' },
    reasons: {
      long: notUnderstood,
      emoji: notUnderstood,
      script: notUnderstood,
      bold: notUnderstood,
      unknown: fr('common:ask.unknown_button'),
    },
  },
  {
    q: 'sectors',
    kind: 'multi-select, one sector chosen',
    at: 'sectors_done',
    prompt: fr('onboarding:ask.sectors', { max: 3 }),
    head: `${fr('common:ask.selected', { list: 'Numérique' })}\n\n`,
    earlier: { q: 'goal', v: 'business' },
    reasons: {
      long: notUnderstood,
      emoji: notUnderstood,
      script: notUnderstood,
      bold: notUnderstood,
      unknown: fr('common:ask.unknown_button'),
    },
  },
  {
    q: 'firstName',
    kind: 'first-name text',
    at: 'firstName',
    prompt: fr('onboarding:ask.firstName'),
    earlier: { q: 'age', v: '46_55' },
    reasons: {
      long: fr('common:ask.too_long', { count: 10_000, max: 40 }),
      emoji: fr('common:ask.need_words'),
      script: fr('onboarding:firstName_invalid'),
      bold: fr('onboarding:firstName_invalid'),
      unknown: fr('common:ask.type_answer'),
    },
  },
  {
    q: 'expectations',
    kind: 'free text, 500 characters at most',
    at: 'expectations',
    prompt: fr('onboarding:ask.expectations', { max: 500 }),
    earlier: { q: 'languages', v: 'en' },
    // HTML is a fine answer here: see "stores HTML as plain text" below.
    reasons: {
      long: fr('common:ask.too_long', { count: 10_000, max: 500 }),
      emoji: fr('common:ask.need_words'),
      unknown: fr('common:ask.type_answer'),
    },
  },
  {
    q: 'commune',
    kind: 'commune',
    at: 'commune',
    prompt: fr('onboarding:ask.commune'),
    earlier: { q: 'sectors', v: 'health' },
    reasons: {
      long: notFound,
      emoji: notFound,
      script: notFound,
      bold: notFound,
      unknown: fr('common:ask.type_answer'),
    },
  },
];

function badInput(bad: Bad, step: Step): string | ButtonValue | Partial<Activity> {
  switch (bad) {
    case 'empty':
      return EMPTY;
    case 'long':
      return LONG;
    case 'emoji':
      return EMOJI;
    case 'script':
      return SCRIPT;
    case 'bold':
      return BOLD;
    case 'earlier':
      return step.earlier;
    case 'unknown':
      return { q: step.q, v: 'nope' };
    case 'image':
      return IMAGE;
  }
}

const BAD: Array<[Bad, string]> = [
  ['empty', 'an empty message'],
  ['long', '10,000 characters'],
  ['emoji', 'emoji only'],
  ['script', 'a <script> tag'],
  ['bold', 'HTML markup'],
  ['earlier', 'a button of an earlier question'],
  ['unknown', 'an unknown button value'],
  ['image', 'an image without text'],
];

const reasonFor = (bad: Bad, step: Step) =>
  step.reasons[bad] ?? (bad === 'empty' || bad === 'earlier' || bad === 'image' ? COMMON_REASONS[bad] : '');

const casesOf = (step: Step) =>
  BAD.filter(([bad]) => reasonFor(bad, step) !== '').map(([bad, label]) => ({ bad, label }));

describe.each(STEPS)('bad input at the $q question ($kind)', (step) => {
  let n = 0;
  const user = () => `bad-${step.q}-${++n}`;

  it.each(casesOf(step))('$label gets a kind re-ask of the same question', async ({ bad }) => {
    const u = user();
    const asked = (await play(t, u, LEA, { until: step.at })).at(-1);
    expect(asked?.text).toContain(step.prompt);

    const replies = await t.say(u, badInput(bad, step));
    noTechnicalError(replies);
    expect(replies).toEqual([
      { text: `${step.head ?? ''}${reasonFor(bad, step)}\n\n${step.prompt}`, buttons: asked?.buttons },
    ]);
  });

  it('keeps every earlier answer after all of them in a row', async () => {
    const u = user();
    await play(t, u, LEA, { until: step.at });
    for (const { bad } of casesOf(step)) {
      const replies = await t.say(u, badInput(bad, step));
      noTechnicalError(replies);
      expect(replies.at(-1)?.text).toContain(step.prompt);
    }
    const summary = await play(t, u, LEA, { until: 'summary', from: step.at });
    noTechnicalError(summary);
    expect(summary.map((r) => r.text)).toEqual([summaryOf('Relire mon CV.'), fr('onboarding:summary.ask')]);
    await play(t, u, LEA, { until: 'end', from: 'summary' });
    const person = await personOf(t, db.connection, u);
    expect(person.status).toBe('active');
    expect(person.profile).toEqual(LEA_PROFILE);
  });
});

describe('HTML in the expectations answer', () => {
  it.each([
    [SCRIPT, SCRIPT],
    [BOLD, BOLD],
    [
      '  <b>Relire</b>   mon CV\n\n<script>alert(1)</script>  ',
      '<b>Relire</b> mon CV <script>alert(1)</script>',
    ],
  ])(
    'stores %j as plain text, exactly as typed, and shows it as text in the summary',
    async (typed, stored) => {
      const u = `html-${stored.length}-${typed.length}`;
      await play(t, u, LEA, { until: 'expectations' });
      const summary = await t.say(u, typed);
      noTechnicalError(summary);
      expect(summary[0]?.text).toBe(summaryOf(stored));
      await t.press(u, "C'est correct");
      expect((await personOf(t, db.connection, u)).profile.expectations).toBe(stored);
    },
  );

  it('refuses an answer of 501 characters and takes one of 500', async () => {
    const u = 'html-limit';
    await play(t, u, LEA, { until: 'expectations' });
    const tooLong = await t.say(u, `${'é'.repeat(500)}!`);
    expect(tooLong[0]?.text).toBe(
      `${fr('common:ask.too_long', { count: 501, max: 500 })}\n\n${fr('onboarding:ask.expectations', { max: 500 })}`,
    );
    expect(texts(await t.say(u, 'é'.repeat(500)))).toContain(`• Attentes : ${'é'.repeat(500)}`);
  });
});

// ---------------------------------------------------------------------------------------------
// 2. Typing works wherever buttons are offered

describe('typing instead of pressing a button', () => {
  it.each(['oui', 'ouais', 'ok', "d'accord", 'Oui !'])('"%s" accepts the consent', async (word) => {
    const u = `consent-yes-${word}`;
    await play(t, u, LEA, { until: 'consent' });
    expect(texts(await t.say(u, word))).toBe(fr('onboarding:ask.age'));
    const [consent] = await t.bot.services.consents.history((await personOf(t, db.connection, u))._id);
    expect(consent?.decision).toBe('accepted');
  });

  it.each(['non', 'pas maintenant', 'Non merci'])('"%s" refuses the consent', async (word) => {
    const u = `consent-no-${word}`;
    await play(t, u, LEA, { until: 'consent' });
    expect(texts(await t.say(u, word))).toBe(fr('onboarding:consent.declined'));
    const person = await personOf(t, db.connection, u);
    expect(person.status).toBe('declined_consent');
    const [consent] = await t.bot.services.consents.history(person._id);
    expect(consent?.decision).toBe('refused');
  });

  it.each([
    ['age', '2', 'firstName', "• Tranche d'âge : 18 à 25 ans"],
    ['situation', '2', 'goal', '• Situation : En reconversion'],
    ['situation', 'etudiante', 'goal', '• Situation : Étudiant·e'],
    ['goal', 'le 3', 'sectors', '• Objectif : Me reconvertir'],
    ['goal', 'entreprise', 'sectors', '• Objectif : Créer ou reprendre une entreprise'],
    ['format', '2', 'languages', '• Format : Visio'],
    ['format', 'en personne', 'languages', '• Format : Présentiel'],
    ['age', "J'ai 30 ans", 'firstName', "• Tranche d'âge : 26 à 35 ans"],
    ['age', '56', 'firstName', "• Tranche d'âge : Plus de 55 ans"],
    ['format', 'pas de préférence', 'languages', '• Format : Les deux'],
    ['format', 'visio ou présentiel', 'languages', '• Format : Les deux'],
  ])('at the %s question, "%s" picks the option', async (at, typed, next, line) => {
    const u = `typed-${at}-${typed}`;
    await play(t, u, LEA, { until: at });
    await t.say(u, typed);
    const summary = await play(t, u, LEA, { until: 'summary', from: next });
    expect(summary[0]?.text).toContain(line);
  });

  it('at the sectors question, a fourth sector named is not dropped without a word', async () => {
    const u = 'typed-sectors-four';
    await play(t, u, LEA, { until: 'sectors' });
    const replies = await t.say(u, 'numérique, commerce, santé et BTP');
    expect(texts(replies)).toBe(
      `${fr('common:ask.max_kept', { max: 3, list: 'Numérique, Commerce, Santé et social' })}\n---\n${fr('onboarding:ask.commune')}`,
    );
  });

  it.each(["je n'ai pas 18 ans", 'presque 18 ans'])(
    'at the age question, "%s" is no age of 18',
    async (typed) => {
      const u = `typed-age-${typed}`;
      await play(t, u, LEA, { until: 'age' });
      expect(texts(await t.say(u, typed))).not.toBe(fr('onboarding:ask.firstName'));
      expect((await personOf(t, db.connection, u)).profile?.age).toBeUndefined();
    },
  );

  it('at the sectors question, "le sport" is not "Transport et logistique" (a sector we do not list)', async () => {
    const u = 'typed-sectors-sport';
    await play(t, u, LEA, { until: 'sectors' });
    expect(texts(await t.say(u, 'le sport'))).not.toMatch(/Transport/);
  });

  it.each([
    ['numerik', 'Numérique'],
    ['comerce', 'Commerce'],
    ['numerik et comerce', 'Numérique, Commerce'],
    ['services à la personne', 'Santé et social'],
    ['1', 'Numérique'],
  ])('at the sectors question, "%s" is understood', async (typed, chosen) => {
    const u = `typed-sectors-${typed}`;
    await play(t, u, LEA, { until: 'sectors' });
    const replies = await t.say(u, typed);
    expect(replies.at(-1)?.text).toBe(
      `${fr('common:ask.selected', { list: chosen })}\n\n${fr('onboarding:ask.sectors', { max: 3 })}`,
    );
    expect(texts(await t.say(u, 'non'))).toBe(fr('onboarding:ask.commune'));
  });

  it.each([
    ["Je m'appelle Zoé", 'Zoé'],
    ["moi c'est Jean-Marc !", 'Jean-Marc'],
    ['Bonjour, je suis Marie Claire.', 'Marie Claire'],
    ["I'm Sam", 'Sam'],
  ])('takes the first name out of "%s"', async (typed, firstName) => {
    const u = `typed-name-${typed}`;
    await play(t, u, LEA, { until: 'summary' });
    await t.say(u, 'Modifier');
    expect(texts(await t.say(u, 'prénom'))).toBe(fr('onboarding:ask.firstName'));
    expect(texts(await t.say(u, typed))).toMatch(new RegExp(`• Prénom : ${firstName}\n`));
  });

  it('asks again for a first name given a sentence', async () => {
    const u = 'typed-name-sentence';
    await play(t, u, LEA, { until: 'summary' });
    await t.say(u, 'Modifier');
    await t.say(u, 'prénom');
    const again = texts(await t.say(u, 'Je cherche un mentor vite'));
    expect(again.startsWith(fr('onboarding:firstName_invalid'))).toBe(true);
  });

  it.each(["c'est bon", 'ok', 'voilà'])('at the sectors question, "%s" ends the choice', async (typed) => {
    const u = `typed-sectors-end-${typed}`;
    await play(t, u, LEA, { until: 'sectors' });
    await t.say(u, 'numerik');
    expect(texts(await t.say(u, typed))).toBe(fr('onboarding:ask.commune'));
  });

  it.each(['majeur', 'je suis majeure', 'plus de 18 ans'])(
    'at the age question, "%s" is asked again, not taken for a bracket (under 18 would end it)',
    async (typed) => {
      const u = `typed-age-${typed}`;
      await play(t, u, LEA, { until: 'age' });
      const again = texts(await t.say(u, typed));
      expect(again.startsWith(notUnderstood)).toBe(true);
      expect(again).toMatch(new RegExp(fr('onboarding:ask.age').replace(/[?.()]/g, '\\$&')));
      expect((await personOf(t, db.connection, u)).status).not.toBe('minor');
      expect(texts(await t.say(u, '26-35'))).not.toMatch(/majeures/);
    },
  );

  it.each(['plus de 60 ans', 'over 70'])('at the age question, "%s" is over 55', async (typed) => {
    const u = `typed-age-${typed}`;
    await play(t, u, LEA, { until: 'age' });
    expect(texts(await t.say(u, typed))).toBe(fr('onboarding:ask.firstName'));
  });

  it.each([
    ['availability', 'pas le soir'],
    ['format', 'pas en visio'],
  ])('at the %s question, "%s" rules an option out: asked again', async (step, typed) => {
    const u = `typed-negated-${step}`;
    await play(t, u, LEA, { until: step });
    expect(texts(await t.say(u, typed)).startsWith(notUnderstood)).toBe(true);
  });

  it("takes a yes/no button's label typed out, and not a label negated", async () => {
    const u = 'typed-labels';
    await play(t, u, LEA, { until: 'summary' });
    expect(texts(await t.say(u, 'Modifier'))).toBe(fr('onboarding:summary.which'));
    expect(texts(await t.say(u, 'prénom'))).toBe(fr('onboarding:ask.firstName'));
    expect(texts(await t.say(u, 'Zoé'))).toMatch(/• Prénom : Zoé/);
    expect(texts(await t.say(u, "c'est bon"))).toMatch(/charte d'engagement/);
    // Naming the acceptance to refuse it is no acceptance: the question again.
    expect(texts(await t.say(u, "Je n'accepte pas la charte"))).toMatch(
      new RegExp(`^${fr('common:ask.yes_or_no').replace(/[?.]/g, '\\$&')}`),
    );
    expect(texts(await t.say(u, "j'accepte la charte"))).toMatch(/votre profil est complet/);
    expect((await personOf(t, db.connection, u)).status).toBe('active');
  });

  it('goes through the whole onboarding by typing only, yes/no questions included', async () => {
    const u = 'typist';
    const say = async (text: string) => {
      const replies = await t.say(u, text);
      noTechnicalError(replies);
      return texts(replies);
    };
    expect(await say('salut')).toMatch(/Acceptez-vous que nous traitions vos données/);
    expect(await say("d'accord")).toBe(fr('onboarding:ask.age'));
    expect(await say('2')).toBe(fr('onboarding:ask.firstName'));
    expect(await say('Léa')).toBe(fr('onboarding:ask.situation'));
    expect(await say('3')).toBe(fr('onboarding:ask.goal'));
    expect(await say('entreprise')).toBe(fr('onboarding:ask.sectors', { max: 3 }));
    expect(await say('numerik')).toMatch(/Votre sélection : Numérique\./);
    expect(await say('comerce')).toMatch(/Votre sélection : Numérique, Commerce\./);
    expect(await say("c'est tout")).toBe(fr('onboarding:ask.commune'));
    expect(await say('marseile')).toMatch(/Vouliez-vous dire/);
    expect(await say('1')).toBe(fr('onboarding:ask.availability'));
    expect(await say('le soir')).toMatch(/Votre sélection : En soirée\./);
    expect(await say('non')).toBe(fr('onboarding:ask.format'));
    expect(await say('2')).toBe(fr('onboarding:ask.languages'));
    expect(await say('francais')).toMatch(/Votre sélection : Français\./);
    expect(await say('fini')).toBe(fr('onboarding:ask.expectations', { max: 500 }));
    expect(await say('Créer ma boutique en ligne.')).toMatch(/• Prénom : Léa/);
    expect(await say('non')).toBe(fr('onboarding:summary.which'));
    expect(await say('prénom')).toBe(fr('onboarding:ask.firstName'));
    expect(await say('Zoé')).toMatch(/• Prénom : Zoé/);
    expect(await say('ouais')).toMatch(/charte d'engagement/);
    expect(await say('pas maintenant')).toBe(fr('charter:declined'));
    expect((await personOf(t, db.connection, u)).status).toBe('declined_charter');
    expect(await say('je veux la relire')).toMatch(/charte d'engagement/);
    expect(await say('ok')).toBe(`${fr('charter:thanks')}\n---\n${fr('proposals:mentee.nobody_yet')}`);

    const person = await personOf(t, db.connection, u);
    expect(person.status).toBe('active');
    expect(person.profile).toEqual({
      age: '18_25',
      firstName: 'Zoé',
      situation: 'entrepreneur',
      goal: 'business',
      sectors: ['digital', 'commerce'],
      commune: { code: '13055', name: 'Marseille', inArea: true },
      availability: ['evenings'],
      format: 'video',
      languages: ['fr'],
      expectations: 'Créer ma boutique en ligne.',
    });
  });
});

// ---------------------------------------------------------------------------------------------
// 3. The help hint after three failed attempts

describe('the help hint', () => {
  const FAILURES = [EMPTY, EMOJI, LONG];

  it.each(STEPS)('comes with the third failed attempt at the $q question ($kind)', async (step) => {
    const u = `hint-${step.q}`;
    await play(t, u, LEA, { until: step.at });
    const reasons = [reasonFor('empty', step), reasonFor('emoji', step), reasonFor('long', step)];
    for (const [i, input] of FAILURES.entries()) {
      const replies = await t.say(u, input);
      noTechnicalError(replies);
      const hint = i >= 2 ? `${HINT}\n\n` : '';
      expect(replies.map((r) => r.text)).toEqual([
        `${step.head ?? ''}${reasons[i]}\n\n${hint}${step.prompt}`,
      ]);
    }
    expect(HINT).toMatch(/^Besoin d'aide \?/);
  });
});
