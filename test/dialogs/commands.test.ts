import { beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../bot/db/database.js';
import type { ButtonValue } from '../../bot/engine/reply.js';
import { createI18n } from '../../bot/i18n.js';
import type { Profile } from '../../models/person.js';
import { makeTestBot, type Reply, type TestBot, texts } from '../helpers/bot.js';
import { useTestDb } from '../helpers/db.js';
import { type Journey, LEA, LEA_PROFILE, personOf, play, send, stepIndex } from '../helpers/journey.js';

/**
 * Global commands at any step of the mentee onboarding, a redelivered message, and two people
 * onboarding at the same time.
 */

let db: Database;
let t: TestBot;

beforeAll(async () => {
  db = await useTestDb('commands');
  t = makeTestBot(db.connection);
});

/** The French wording, from locales/fr. */
const fr = createI18n().getFixedT('fr');
const TECHNICAL = 'Un souci technique';
const CONSENT_ASK = /Acceptez-vous que nous traitions vos données/;

// ---------------------------------------------------------------------------------------------
// Onboardings, by buttons and typing (Léa's: LEA and LEA_PROFILE, in ../helpers/journey.ts).

const KARIM: Journey = [
  ['hello', 'Salut'],
  ['consent', 'oui'],
  ['age', { press: '18 à 25 ans' }],
  ['firstName', 'Karim'],
  ['situation', 'étudiant'],
  ['goal', { press: 'Me reconvertir' }],
  ['sectors', 'santé'],
  ['sectors_done', { press: "C'est tout" }],
  ['commune', 'Arles'],
  ['availability', 'le week-end'],
  ['availability_done', "c'est tout"],
  ['format', '1'],
  ['languages', { press: 'Arabe' }],
  ['languages_done', { press: "C'est tout" }],
  ['expectations', 'Choisir une formation.'],
  ['summary', { press: "C'est correct" }],
  ['charter', 'oui'],
];
const KARIM_PROFILE: Profile = {
  age: '18_25',
  firstName: 'Karim',
  situation: 'student',
  goal: 'career_change',
  sectors: ['health'],
  commune: { code: '13004', name: 'Arles', inArea: true },
  availability: ['weekends'],
  format: 'in_person',
  languages: ['ar'],
  expectations: 'Choisir une formation.',
};

/** The value a press of the button of that title posts. */
function buttonValue(user: string, title: string): ButtonValue {
  const button = t.lastButtons(user).find((b) => b.title === title);
  if (!button) throw new Error(`no button ${title} for ${user}`);
  return button.value;
}

/**
 * Plays a journey (Léa's by default) from step `from` up to step `until` ('end': all), excluded,
 * checking that no step gets the technical error; returns the last replies.
 */
const playChecked = (user: string, until: string, from?: string, journey = LEA): Promise<Reply[]> =>
  play(t, user, journey, {
    until,
    from,
    check: (replies) => expect(texts(replies)).not.toContain(TECHNICAL),
  });

/** Plays up to `at` and returns the pending question, as it was asked. */
async function pendingAt(user: string, at: string): Promise<Reply> {
  const question = (await playChecked(user, at)).at(-1);
  if (!question) throw new Error(`nothing asked before ${at}`);
  return question;
}

const reply = (key: string): Reply => ({ text: fr(key), buttons: [] });

/** Where a question is pending, by the journey step that answers it. */
interface Pending {
  q: string;
  at: string;
}

const CONSENT: Pending = { q: 'consent', at: 'consent' };
const AFTER_CONSENT: Pending[] = [
  { q: 'age (choice)', at: 'age' },
  { q: 'firstName (text)', at: 'firstName' },
  { q: 'situation (choice)', at: 'situation' },
  { q: 'sectors (multi-select, one chosen)', at: 'sectors_done' },
  { q: 'commune', at: 'commune' },
  { q: 'expectations (text)', at: 'expectations' },
  { q: 'summary (yes/no)', at: 'summary' },
  { q: 'charter (yes/no)', at: 'charter' },
];
const EVERYWHERE = [CONSENT, ...AFTER_CONSENT];

let n = 0;
const newUser = (label: string) => `${label.replace(/\W+/g, '_')}-${++n}`;

// ---------------------------------------------------------------------------------------------
// Commands at every step

describe('"aide"', () => {
  it.each(EVERYWHERE)('at the $q question: the help, then the same question again', async ({ at }) => {
    const u = newUser(`help-${at}`);
    const pending = await pendingAt(u, at);
    expect(await t.say(u, 'aide')).toEqual([reply('common:help'), pending]);
  });

  it.each(['Aide', 'aide !', '/aide', 'help', 'HELP', "j'ai besoin d'aide", '?', 'au secours'])(
    '"%s" is the help command too',
    async (word) => {
      const u = newUser(`help-${word}`);
      const pending = await pendingAt(u, 'situation');
      expect(await t.say(u, word)).toEqual([reply('common:help'), pending]);
    },
  );

  it('keeps the communes offered, as buttons', async () => {
    const u = newUser('help-communes');
    await playChecked(u, 'commune');
    const offered = (await t.say(u, '13100')).at(-1);
    expect(offered?.text).toMatch(/Plusieurs communes correspondent/);
    const again = await t.say(u, 'aide');
    expect(again).toEqual([
      reply('common:help'),
      { text: fr('onboarding:ask.commune'), buttons: offered?.buttons },
    ]);
    expect(texts(await t.press(u, /^Aix-en-Provence/))).toBe(fr('onboarding:ask.availability'));
  });

  it('as the very first message: the help, then the welcome and the consent question', async () => {
    const u = newUser('help-first');
    const replies = await t.say(u, 'aide');
    expect(replies[0]).toEqual(reply('common:help'));
    expect(replies[1]).toEqual(reply('onboarding:welcome'));
    expect(replies[2]?.text).toMatch(CONSENT_ASK);
    expect(replies).toHaveLength(3);
    expect(texts(await t.press(u, "J'accepte"))).toBe(fr('onboarding:ask.age'));
  });
});

describe('"recommencer"', () => {
  it.each(AFTER_CONSENT)(
    'at the $q question: starts again at the age question, without asking the consent again, all answers cleared',
    async ({ at }) => {
      const u = newUser(`restart-${at}`);
      await pendingAt(u, at);
      const replies = await t.say(u, 'recommencer');
      expect(replies.map((r) => r.text)).toEqual([fr('common:restart'), fr('onboarding:ask.age')]);
      expect(replies[1]?.buttons.map((b) => b.title)).toContain('36 à 45 ans');
      expect(texts(replies)).not.toMatch(CONSENT_ASK);

      const person = await personOf(t, db.connection, u);
      expect(person.status).toBe('onboarding');
      expect(person.profile).toEqual({});
      const consents = await t.bot.services.consents.history(person._id);
      expect(consents.filter((c) => c.kind === 'data_processing').map((c) => c.decision)).toEqual([
        'accepted',
      ]);

      // Every question is asked again, none skipped as already answered.
      expect(texts(await t.press(u, '36 à 45 ans'))).toBe(fr('onboarding:ask.firstName'));
      expect(texts(await t.say(u, 'Zoé'))).toBe(fr('onboarding:ask.situation'));
    },
  );

  it('before the consent is given: the welcome and the consent question again', async () => {
    const u = newUser('restart-consent');
    await pendingAt(u, 'consent');
    const replies = await t.say(u, 'recommencer');
    expect(replies.slice(0, 2)).toEqual([reply('common:restart'), reply('onboarding:welcome')]);
    expect(replies[2]?.text).toMatch(CONSENT_ASK);
    expect(await t.bot.services.consents.history((await personOf(t, db.connection, u))._id)).toEqual([]);
  });

  it('after the onboarding is complete: asks first, then the profile is asked again from the age question', async () => {
    const u = newUser('restart-active');
    await playChecked(u, 'end');
    expect((await personOf(t, db.connection, u)).profile).toEqual(LEA_PROFILE);
    expect(texts(await t.say(u, 'recommencer'))).toBe(fr('common:restart_confirm.ask'));
    // "C'est bon" may mean "never mind": not taken for a yes here.
    expect(texts(await t.say(u, "c'est bon"))).toMatch(
      new RegExp(`^${fr('common:ask.yes_or_no').replace(/[?.]/g, '\\$&')}`),
    );
    // "Non": nothing is erased.
    expect(texts(await t.say(u, 'non'))).toBe(fr('common:restart_confirm.kept'));
    expect(await personOf(t, db.connection, u)).toMatchObject({ status: 'active', profile: LEA_PROFILE });
    // "Recommencer" once more, at that question, confirms.
    expect(texts(await t.say(u, 'recommencer'))).toBe(fr('common:restart_confirm.ask'));
    expect((await t.say(u, 'recommencer')).map((r) => r.text)).toEqual([
      fr('common:restart'),
      fr('onboarding:ask.age'),
    ]);
    expect(await personOf(t, db.connection, u)).toMatchObject({ status: 'onboarding', profile: {} });
  });

  it('after the onboarding is complete: the button "Oui, recommencer" erases the profile', async () => {
    const u = newUser('restart-active-yes');
    await playChecked(u, 'end');
    await t.say(u, 'recommencer');
    expect((await t.press(u, 'Oui, recommencer')).map((r) => r.text)).toEqual([
      fr('common:restart'),
      fr('onboarding:ask.age'),
    ]);
    expect(await personOf(t, db.connection, u)).toMatchObject({ status: 'onboarding', profile: {} });
  });

  it('from the summary: the new summary shows only the new answers', async () => {
    const u = newUser('restart-summary');
    await pendingAt(u, 'summary');
    await t.say(u, 'tout recommencer');
    await t.press(u, '36 à 45 ans');
    await t.say(u, 'Zoé');
    const summary = texts(await playChecked(u, 'summary', 'situation'));
    expect(summary).toContain("• Tranche d'âge : 36 à 45 ans");
    expect(summary).toContain('• Prénom : Zoé');
    expect(summary).not.toContain('Léa');
    await playChecked(u, 'end', 'summary');
    expect(await personOf(t, db.connection, u)).toMatchObject({
      status: 'active',
      profile: { ...LEA_PROFILE, age: '36_45', firstName: 'Zoé' },
    });
  });

  it.each(['restart', 'Recommencer !', 'start over'])('"%s" restarts too', async (word) => {
    const u = newUser(`restart-${word}`);
    await pendingAt(u, 'goal');
    expect((await t.say(u, word)).map((r) => r.text)).toEqual([
      fr('common:restart'),
      fr('onboarding:ask.age'),
    ]);
  });
});

describe('"stop" and "reprendre"', () => {
  it.each(EVERYWHERE)(
    'at the $q question: stop confirms and turns proactive messages off; reprendre turns them on and asks the question again',
    async ({ at }) => {
      const u = newUser(`stop-${at}`);
      const pending = await pendingAt(u, at);
      expect((await personOf(t, db.connection, u)).proactive).toBe(true);

      expect(await t.say(u, 'stop')).toEqual([reply('common:stopped')]);
      expect((await personOf(t, db.connection, u)).proactive).toBe(false);

      expect(await t.say(u, 'reprendre')).toEqual([reply('common:resumed'), pending]);
      expect((await personOf(t, db.connection, u)).proactive).toBe(true);
    },
  );

  it.each([
    ['arrêter', 'resume'],
    ['Stop !', 'Reprendre'],
    ['unsubscribe', 'reprendre'],
  ])('"%s" and "%s" work too', async (stop, resume) => {
    const u = newUser(`stop-${stop}`);
    const pending = await pendingAt(u, 'format');
    expect(await t.say(u, stop)).toEqual([reply('common:stopped')]);
    expect((await personOf(t, db.connection, u)).proactive).toBe(false);
    expect(await t.say(u, resume)).toEqual([reply('common:resumed'), pending]);
    expect((await personOf(t, db.connection, u)).proactive).toBe(true);
  });
});

describe('"mes données" and "supprimer mon compte"', () => {
  it.each(EVERYWHERE)('at the $q question: "Bientôt", then the same question again', async ({ at }) => {
    const u = newUser(`data-${at}`);
    const pending = await pendingAt(u, at);
    expect(await t.say(u, 'mes données')).toEqual([reply('common:coming_soon.my_data'), pending]);
    expect(await t.say(u, 'supprimer mon compte')).toEqual([
      reply('common:coming_soon.delete_account'),
      pending,
    ]);
    expect(fr('common:coming_soon.my_data')).toMatch(/^Bientôt/);
    expect(fr('common:coming_soon.delete_account')).toMatch(/^Bientôt/);
  });

  it.each([
    ['mes donnees', 'common:coming_soon.my_data'],
    ['my data', 'common:coming_soon.my_data'],
    ['delete my account', 'common:coming_soon.delete_account'],
    ['Supprimer mes données', 'common:coming_soon.delete_account'],
  ])('"%s" works too', async (word, key) => {
    const u = newUser(`data-${word}`);
    const pending = await pendingAt(u, 'situation');
    expect(await t.say(u, word)).toEqual([reply(key), pending]);
  });
});

describe('commands in the middle of the onboarding', () => {
  it('leave every answer as it was', async () => {
    const u = newUser('commands-everywhere');
    for (const [, input] of LEA) {
      for (const word of ['aide', 'mes données', 'stop', 'reprendre', 'supprimer mon compte']) {
        expect(texts(await t.say(u, word))).not.toContain(TECHNICAL);
      }
      await send(t, u, input);
    }
    expect(await personOf(t, db.connection, u)).toMatchObject({
      status: 'active',
      proactive: true,
      profile: LEA_PROFILE,
    });
  });

  it.each([
    ['expectations', "j'ai besoin d'aide pour mon CV", "• Attentes : j'ai besoin d'aide pour mon CV"],
    ['expectations', 'Je veux tout recommencer à zéro dans ma carrière.', '• Attentes : Je veux tout'],
    ['expectations', 'Stop aux candidatures sans réponse', '• Attentes : Stop aux candidatures'],
    ['goal', 'reprendre une entreprise', '• Objectif : Créer ou reprendre une entreprise'],
    ['goal', 'reprendre', '• Objectif : Créer ou reprendre une entreprise'],
    ['firstName', 'Aide-Marie', '• Prénom : Aide-Marie'],
  ])('at the %s question, "%s" (a command word in a sentence) is an answer', async (at, typed, line) => {
    const u = newUser(`sentence-${at}`);
    await pendingAt(u, at);
    const replies = await t.say(u, typed);
    expect(texts(replies)).not.toContain(fr('common:help'));
    const next = LEA[stepIndex(LEA, at) + 1]?.[0] ?? 'end';
    const summary = at === 'expectations' ? replies : await playChecked(u, 'summary', next);
    expect(summary[0]?.text).toContain(line);
  });
});

// ---------------------------------------------------------------------------------------------
// A message delivered twice

describe('the same inbound message delivered twice', () => {
  it.each(['hello', 'consent', 'firstName', 'situation', 'sectors', 'commune', 'expectations', 'summary'])(
    'at the %s step: processed once, the state does not advance',
    async (at) => {
      const u = newUser(`dup-${at}`);
      await playChecked(u, at);
      const input = LEA[stepIndex(LEA, at)]?.[1] ?? '';
      // What the channel delivers, twice: the text, or the value of the button pressed.
      const delivered = typeof input === 'string' ? input : buttonValue(u, input.press);
      const id = `dup-${u}`;
      expect((await t.say(u, delivered, { id })).length).toBeGreaterThan(0);
      const sent = t.channel.sent.get(`conv-${u}`)?.length;

      expect(await t.say(u, delivered, { id })).toEqual([]);
      expect(t.channel.sent.get(`conv-${u}`)?.length).toBe(sent);

      // The next step answers the question the first delivery asked, and the rest goes as usual.
      await playChecked(u, 'end', LEA[stepIndex(LEA, at) + 1]?.[0]);
      expect(await personOf(t, db.connection, u)).toMatchObject({ status: 'active', profile: LEA_PROFILE });
    },
  );

  it('a typed "2" delivered twice answers the situation only, not the goal asked next', async () => {
    const u = newUser('dup-two');
    await playChecked(u, 'situation');
    expect(texts(await t.say(u, '2', { id: 'two-once' }))).toBe(fr('onboarding:ask.goal'));
    expect(await t.say(u, '2', { id: 'two-once' })).toEqual([]);
    expect(texts(await t.press(u, 'Trouver un emploi salarié'))).toMatch(/Dans quels secteurs/);
    const summary = texts(await playChecked(u, 'summary', 'sectors'));
    expect(summary).toContain('• Situation : En reconversion');
    expect(summary).toContain('• Objectif : Trouver un emploi salarié');
  });
});

// ---------------------------------------------------------------------------------------------
// Two people at once

describe('two people onboarding at the same time', () => {
  const expectOwn = async (user: string, profile: Profile, other: string) => {
    expect(await personOf(t, db.connection, user)).toMatchObject({ status: 'active', profile });
    const seen = (t.channel.sent.get(`conv-${user}`) ?? []).map((a) => a.text ?? '').join('\n');
    expect(seen).toContain(`• Prénom : ${profile.firstName}`);
    expect(seen).toContain(`Merci ${profile.firstName}, votre profil est complet`);
    expect(seen).not.toContain(other);
    expect(seen).not.toContain(TECHNICAL);
  };

  it('step by step, each message of one sent with one of the other', async () => {
    const lea = newUser('lea');
    const karim = newUser('karim');
    for (const [i, [, leaInput]] of LEA.entries()) {
      const karimInput = KARIM[i]?.[1] ?? '';
      await Promise.all([send(t, lea, leaInput), send(t, karim, karimInput)]);
    }
    await expectOwn(lea, LEA_PROFILE, 'Karim');
    await expectOwn(karim, KARIM_PROFILE, 'Léa');
  });

  it('each at their own pace, both journeys at once', async () => {
    const lea = newUser('lea');
    const karim = newUser('karim');
    await Promise.all([playChecked(lea, 'end'), playChecked(karim, 'end', 'hello', KARIM)]);
    await expectOwn(lea, LEA_PROFILE, 'Karim');
    await expectOwn(karim, KARIM_PROFILE, 'Léa');
  });
});
