import { beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../bot/db/database.js';
import { personModel } from '../../models/person.js';
import { makeTestBot, type TestBot, texts } from '../helpers/bot.js';
import { useTestDb } from '../helpers/db.js';
import { type Input, type Journey, LEA, personOf, play } from '../helpers/journey.js';

let db: Database;
let t: TestBot;

beforeAll(async () => {
  db = await useTestDb('onboarding');
  t = makeTestBot(db.connection);
});

/** Léa's journey (LEA), but with two sectors and longer expectations, as in the transcript below. */
const CHANGED: Record<string, Input> = {
  sectors: 'numérique et commerce',
  expectations: 'Relire mon CV et préparer mes entretiens.',
};
const JOURNEY: Journey = LEA.map(([name, input]) => [name, CHANGED[name] ?? input]);

describe('mentee onboarding (transcript)', () => {
  it('welcomes, asks consent, then the whole profile, summary, charter and says what comes next', async () => {
    const u = 'happy';
    const hello = await t.say(u, 'Bonjour');
    expect(texts(hello)).toMatch(/bienvenue sur Tandem/);
    expect(texts(hello)).toMatch(/Acceptez-vous que nous traitions vos données/);
    expect(hello.at(-1)?.buttons.map((b) => b.title)).toEqual(["J'accepte", 'Je refuse']);

    expect(texts(await t.press(u, "J'accepte"))).toMatch(/Quelle est votre tranche d'âge/);
    expect(texts(await t.press(u, '26 à 35 ans'))).toMatch(/Comment vous appelez-vous/);
    expect(texts(await t.say(u, 'Léa'))).toMatch(/votre situation/);
    expect(texts(await t.say(u, "demandeuse d'emploi"))).toMatch(/votre objectif/);
    expect(texts(await t.press(u, 'Trouver un emploi salarié'))).toMatch(/quels secteurs/);
    const sectors = await t.say(u, 'numérique et commerce');
    expect(texts(sectors)).toMatch(/Votre sélection : Numérique, Commerce/);
    expect(sectors.at(-1)?.buttons.map((b) => b.title)).toContain("C'est tout");
    expect(texts(await t.press(u, "C'est tout"))).toMatch(/quelle commune/);
    expect(texts(await t.say(u, 'Aubagne'))).toMatch(/Quand êtes-vous disponible/);
    await t.say(u, 'le soir');
    expect(texts(await t.say(u, "c'est tout"))).toMatch(/en personne ou en visio/);
    expect(texts(await t.say(u, '3'))).toMatch(/quelles langues/);
    await t.press(u, 'Français');
    expect(texts(await t.press(u, "C'est tout"))).toMatch(/Qu'attendez-vous d'un mentor/);
    const summary = texts(await t.say(u, 'Relire mon CV et préparer mes entretiens.'));
    expect(summary).toMatch(/Voici ce que j'ai noté/);
    for (const line of [
      '• Prénom : Léa',
      "• Situation : Demandeur·se d'emploi",
      '• Secteurs : Numérique, Commerce',
      '• Commune : Aubagne',
      '• Disponibilités : En soirée',
      '• Format : Les deux',
      '• Attentes : Relire mon CV et préparer mes entretiens.',
    ]) {
      expect(summary).toContain(line);
    }
    const charter = texts(await t.press(u, "C'est correct"));
    expect(charter).toMatch(/charte d'engagement/);
    const done = texts(await t.press(u, "J'accepte la charte"));
    expect(done).toMatch(/Merci Léa, votre profil est complet/);

    const person = await personOf(t, db.connection, u);
    expect(person.status).toBe('active');
    expect(person.profile).toMatchObject({
      age: '26_35',
      firstName: 'Léa',
      situation: 'job_seeker',
      goal: 'employment',
      sectors: ['digital', 'commerce'],
      commune: { code: '13005', name: 'Aubagne', inArea: true },
      availability: ['evenings'],
      format: 'both',
      languages: ['fr'],
    });
    const consents = await t.bot.services.consents.history(person._id);
    expect(consents.map((c) => [c.kind, c.decision, c.version, c.channel])).toEqual([
      ['data_processing', 'accepted', '2026-11-27', 'test'],
      ['charter', 'accepted', '2026-11', 'test'],
    ]);
    expect(consents[0]?.textHash).toMatch(/^[0-9a-f]{64}$/);
    expect(consents[1]?.textHash).not.toBe(consents[0]?.textHash);

    // No mentor in this database: the mentee is told, and staff are alerted.
    expect(done).toMatch(/pas encore de mentor à vous proposer/);
    expect(texts(await t.say(u, 'Et maintenant ?'))).toMatch(/pas encore de mentor à vous proposer/);
    expect((await t.bot.services.alerts.open()).map((a) => [a.kind, a.personId])).toContainEqual([
      'no_candidate',
      person._id,
    ]);
  });

  it('lets the mentee change any single answer from the summary, then shows the summary again', async () => {
    const u = 'editor';
    // Up to (and including) the answer to the expectations question: the summary is pending.
    await play(t, u, JOURNEY, { until: 'summary' });
    expect(texts(await t.press(u, 'Modifier'))).toMatch(/Quelle réponse voulez-vous modifier/);
    expect(texts(await t.press(u, 'Commune'))).toMatch(/quelle commune/);
    const again = texts(await t.say(u, '13100'));
    expect(again).toMatch(/Plusieurs communes correspondent/);
    const summary = texts(await t.press(u, /^Aix-en-Provence/));
    expect(summary).toContain('• Commune : Aix-en-Provence');
    expect(summary).toContain('• Prénom : Léa');
    await t.press(u, 'Modifier');
    await t.press(u, 'Prénom');
    expect(texts(await t.say(u, 'Jean-Pierre'))).toContain('• Prénom : Jean-Pierre');
  });

  it('goes back to the summary from the edit menu, by its button or typed, changing nothing', async () => {
    const u = 'hesitant';
    await play(t, u, JOURNEY, { until: 'summary' });
    await t.press(u, 'Modifier');
    expect(t.lastButtons(u).map((b) => b.title)).toContain('Retour au récapitulatif');
    const back = texts(await t.press(u, 'Retour au récapitulatif'));
    expect(back).toMatch(/^Voici ce que j'ai noté/);
    expect(back).not.toMatch(/mis à jour|souci technique/);
    expect(back).toContain('• Prénom : Léa');
    await t.press(u, 'Modifier');
    expect(texts(await t.say(u, 'annuler'))).toMatch(/^Voici ce que j'ai noté/);
    expect(texts(await t.press(u, "C'est correct"))).toMatch(/charte d'engagement/);
  });

  it('stores only the refusal when consent is refused, and lets the person come back', async () => {
    const u = 'refuser';
    await t.say(u, 'salut');
    expect(texts(await t.press(u, 'Je refuse'))).toMatch(/nous ne conservons rien d'autre que votre refus/);
    const person = await personOf(t, db.connection, u);
    expect(person.status).toBe('declined_consent');
    expect(person.profile).toEqual({});
    const [consent] = await t.bot.services.consents.history(person._id);
    expect(consent?.decision).toBe('refused');
    expect(texts(await t.say(u, 'finalement je veux bien'))).toMatch(/Acceptez-vous que nous traitions/);
  });

  it('records each decision of messages that carry no id of their own, not the first twice', async () => {
    const u = 'no-ids';
    const say = (input: Parameters<TestBot['say']>[1]) => t.say(u, input, { id: '' });
    await say('salut');
    await say({ q: 'consent', v: 'no' });
    await say('finalement je veux bien');
    expect(texts(await say({ q: 'consent', v: 'yes' }))).toMatch(/Quelle est votre tranche d'âge/);
    const person = await personOf(t, db.connection, u);
    const records = await t.bot.services.consents.history(person._id);
    expect(records.map((r) => r.decision)).toEqual(['refused', 'accepted']);
    expect(person.consents?.data_processing?.decision).toBe('accepted');
  });

  it('stops a minor kindly and keeps nothing of their answers', async () => {
    const u = 'minor';
    await t.say(u, 'bonjour');
    await t.press(u, "J'accepte");
    expect(texts(await t.press(u, 'Moins de 18 ans'))).toMatch(/accompagne les personnes majeures/);
    const person = await personOf(t, db.connection, u);
    expect(person.status).toBe('minor');
    expect(person.profile).toEqual({});
    expect(texts(await t.say(u, 'coucou'))).toMatch(/personnes majeures/);
  });

  it('records a refused charter and offers it again at the next message', async () => {
    const u = 'nocharter';
    // Up to (and including) the answer to the expectations question: the summary is pending.
    await play(t, u, JOURNEY, { until: 'summary' });
    await t.press(u, "C'est correct");
    expect(texts(await t.press(u, 'Je refuse'))).toMatch(/Sans la charte/);
    expect((await personOf(t, db.connection, u)).status).toBe('declined_charter');
    expect(texts(await t.say(u, 'je veux la relire'))).toMatch(/charte d'engagement/);
    expect(texts(await t.say(u, 'oui'))).toMatch(/Merci, c'est noté/);
    expect((await personOf(t, db.connection, u)).status).toBe('active');
  });

  it('asks an active mentee to accept the charter again at the next contact when its version changed', async () => {
    const u = 'newcharter';
    // Up to (and including) the answer to the expectations question: the summary is pending.
    await play(t, u, JOURNEY, { until: 'summary' });
    await t.press(u, "C'est correct");
    await t.press(u, "J'accepte la charte");
    const person = await personOf(t, db.connection, u);
    // As if the accepted version were an older one: what a new version in locales/ looks like to a person.
    await personModel(db.connection).updateOne(
      { _id: person._id },
      { $set: { 'consents.charter.version': '2025-01' } },
    );
    const again = texts(await t.say(u, 'Bonjour'));
    expect(again).toMatch(/La charte du Hub a changé/);
    expect(again).toMatch(/charte d'engagement de Tandem \(version 2026-11\)/);
    expect(texts(await t.press(u, "J'accepte la charte"))).toMatch(/Merci, c'est noté/);
    const records = await t.bot.services.consents.history(person._id);
    expect(records.filter((r) => r.kind === 'charter' && r.decision === 'accepted')).toHaveLength(2);
    expect(texts(await t.say(u, 'Bonjour'))).toMatch(/pas encore de mentor à vous proposer/);
  });
});
