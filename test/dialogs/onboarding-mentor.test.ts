import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../bot/config.js';
import type { Database } from '../../bot/db/database.js';
import { createI18n } from '../../bot/i18n.js';
import { hashText } from '../../bot/services/consents.js';
import { personModel } from '../../models/person.js';
import { makeTestBot, type TestBot, texts } from '../helpers/bot.js';
import { useTestDb } from '../helpers/db.js';
import { CLAIRE, CLAIRE_PROFILE, type Journey, personOf, play } from '../helpers/journey.js';

/** The mentor's onboarding, on a channel whose strangers are mentors (as on Slack). */

let db: Database;
let t: TestBot;

beforeAll(async () => {
  db = await useTestDb('onboarding_mentor');
  t = makeTestBot(db.connection, 'mentors', { role: 'mentor' });
});

/** The French wording, from locales/fr. */
const fr = createI18n().getFixedT('fr');
const privacyUrl = loadConfig({ NODE_ENV: 'test' }).privacyNoticeUrl;
const TECHNICAL = 'Un souci technique';

const SUMMARY_LINES = [
  '• Prénom : Claire',
  "• Nom de l'entreprise : Acme Provence",
  '• Poste : Directrice des ressources humaines',
  "• Secteurs d'expertise : Industrie, Services aux entreprises",
  '• Projets accompagnés : Emploi salarié, Reconversion',
  '• Compétences : CV et candidatures, Préparation aux entretiens, Confiance en soi',
  '• Autres compétences : Droit du travail',
  '• Programme partenaire : Réseau Entreprendre Provence',
  '• Capacité : 2 personnes',
  '• Disponibilités : En soirée',
  '• Format : Visio',
  '• Commune : Aubagne',
  '• Langues : Français, Anglais',
  "• Présentation : DRH depuis 15 ans, j'aime aider à préparer un entretien.",
  '• Entreprise visible avant accord : Oui',
];

let n = 0;
const newUser = (label: string) => `${label}-${++n}`;

/** Claire's journey with some steps' inputs changed. */
const claireWith = (changed: Record<string, string | { press: string }>): Journey =>
  CLAIRE.map(([name, input]) => [name, changed[name] ?? input]);

describe('mentor onboarding (transcript)', () => {
  it('welcomes, asks consent, then the whole profile, summary, charter and says what comes next', async () => {
    const u = 'happy';
    const hello = await t.say(u, 'Bonjour');
    expect(hello[0]?.text).toBe(fr('mentor:welcome'));
    expect(hello[0]?.text).toMatch(/Mentor bénévole, vous partagez votre expérience/);
    expect(hello[1]?.text).toMatch(/Acceptez-vous que nous traitions vos données/);
    expect(hello[1]?.text).toMatch(/Ce que voient les mentorés/);
    expect(hello.at(-1)?.buttons.map((b) => b.title)).toEqual(["J'accepte", 'Je refuse']);

    expect(texts(await t.press(u, "J'accepte"))).toBe(fr('onboarding:ask.firstName'));
    expect(texts(await t.say(u, 'Claire'))).toMatch(/Dans quelle entreprise/);
    expect(texts(await t.say(u, 'Acme Provence'))).toMatch(/Quel est votre poste/);
    expect(texts(await t.say(u, 'Directrice des ressources humaines'))).toMatch(
      /Dans quels secteurs avez-vous de l'expérience \? Choisissez jusqu'à 3 secteurs/,
    );
    const sectors = await t.say(u, 'services et industrie');
    expect(texts(sectors)).toMatch(/Votre sélection : Industrie, Services aux entreprises/);
    const goals = await t.press(u, "C'est tout");
    expect(texts(goals)).toMatch(/Quels projets pouvez-vous accompagner/);
    expect(goals.at(-1)?.buttons.map((b) => b.title)).toEqual([
      'Emploi salarié',
      "Création ou reprise d'entreprise",
      'Reconversion',
    ]);
    await t.press(u, 'Emploi salarié');
    expect(texts(await t.say(u, 'reconversion'))).toMatch(/Votre sélection : Emploi salarié, Reconversion/);
    const skills = await t.say(u, "c'est tout");
    expect(texts(skills)).toMatch(/Sur quels sujets pouvez-vous aider/);
    expect(skills.at(-1)?.buttons.map((b) => b.title)).toEqual([
      'CV et candidatures',
      'Préparation aux entretiens',
      'Réseau professionnel',
      'Business plan',
      'Financement',
      'Juridique et statuts',
      'Marketing et vente',
      'Numérique',
      'Management',
      'Reconversion et projet pro',
      'Confiance en soi',
      'Prise de parole',
    ]);
    expect(texts(await t.say(u, 'cv et entretiens'))).toMatch(
      /Votre sélection : CV et candidatures, Préparation aux entretiens/,
    );
    await t.press(u, 'Confiance en soi');
    const other = await t.press(u, "C'est tout");
    expect(texts(other)).toBe('Autre chose ? Écrivez-le, ou « non ».');
    expect(other.at(-1)?.buttons.map((b) => b.title)).toEqual(['Non']);
    const programmes = await t.say(u, 'Droit du travail');
    expect(texts(programmes)).toMatch(/Venez-vous par un programme partenaire du Hub/);
    expect(programmes.at(-1)?.buttons.map((b) => b.title)).toEqual([
      'Tandem (CCI Aix-Marseille-Provence)',
      'Réseau Entreprendre Provence',
      'Initiative Marseille Métropole',
      "France Active Provence-Alpes-Côte d'Azur",
      'Nos Quartiers ont des Talents',
      'EGEE',
      'ECTI',
      'Aucun',
    ]);
    const chosen = await t.press(u, 'Réseau Entreprendre Provence');
    // "Aucun" is exclusive: it goes once a programme is chosen, and "C'est tout" comes.
    expect(chosen.at(-1)?.buttons.map((b) => b.title)).not.toContain('Aucun');
    expect(chosen.at(-1)?.buttons.map((b) => b.title)).toContain("C'est tout");
    const capacity = await t.press(u, "C'est tout");
    expect(texts(capacity)).toMatch(/Combien de personnes pouvez-vous accompagner en même temps/);
    expect(capacity.at(-1)?.buttons.map((b) => b.title)).toEqual([
      '1 personne',
      '2 personnes',
      '3 personnes',
    ]);
    expect(texts(await t.say(u, 'deux'))).toMatch(
      /Quand êtes-vous disponible pour échanger avec vos mentorés/,
    );
    await t.press(u, 'En soirée');
    expect(texts(await t.say(u, "c'est tout"))).toMatch(/rencontrer vos mentorés en personne ou en visio/);
    expect(texts(await t.say(u, 'visio'))).toMatch(/Dans quelle commune/);
    expect(texts(await t.say(u, 'Aubagne'))).toMatch(/Dans quelles langues/);
    await t.say(u, 'français et anglais');
    expect(texts(await t.say(u, "c'est tout"))).toMatch(/Présentez-vous .* \(280 caractères au plus\)/);
    const show = await t.say(u, "DRH depuis 15 ans, j'aime aider à préparer un entretien.");
    expect(texts(show)).toMatch(/la personne voit toujours votre prénom et votre poste/);
    expect(texts(show)).toMatch(/le nom de votre entreprise \?/);
    expect(show.at(-1)?.buttons.map((b) => b.title)).toEqual(['Oui', 'Non']);
    const summary = await t.say(u, 'oui');
    expect(summary[0]?.text).toBe(`${fr('onboarding:summary.intro')}\n\n${SUMMARY_LINES.join('\n')}`);
    expect(summary.at(-1)?.buttons.map((b) => b.title)).toEqual(["C'est correct", 'Modifier']);
    expect(texts(await t.press(u, "C'est correct"))).toMatch(
      /charte d'engagement de Tandem \(version 2026-11\)/,
    );
    const done = texts(await t.press(u, "J'accepte la charte"));
    expect(done).toBe(fr('mentor:done', { firstName: 'Claire' }));
    expect(done).toMatch(/Merci Claire, votre profil est complet/);
    expect(done).toMatch(/dans Slack/);
    expect(done).toMatch(/« \/tandem pause »/);

    const person = await personOf(t, db.connection, u);
    expect(person.role).toBe('mentor');
    expect(person.status).toBe('active');
    expect(person.profile).toEqual(CLAIRE_PROFILE);

    // Two records, of separate kinds: the mentor's own consent text, then the mentees' charter.
    const consents = await t.bot.services.consents.history(person._id);
    expect(consents.map((c) => [c.kind, c.decision, c.version, c.channel])).toEqual([
      ['data_processing', 'accepted', '2026-11-27', 'mentors'],
      ['charter', 'accepted', '2026-11', 'mentors'],
    ]);
    expect(consents[0]?.textHash).toBe(hashText(fr('mentor:consent.ask', { privacyUrl })));
    expect(consents[0]?.textHash).not.toBe(hashText(fr('onboarding:consent.ask', { privacyUrl })));
    expect(consents[1]?.textHash).toBe(hashText(fr('charter:text', { version: fr('charter:version') })));

    expect(texts(await t.say(u, 'Et maintenant ?'))).toBe(fr('mentor:idle'));
  });

  it('plays the same journey from the helpers, step by step, without a technical error', async () => {
    const u = newUser('journey');
    await play(t, u, CLAIRE, { check: (replies) => expect(texts(replies)).not.toContain(TECHNICAL) });
    expect(await personOf(t, db.connection, u)).toMatchObject({ status: 'active', profile: CLAIRE_PROFILE });
  });

  it('lets the mentor change any single answer from the summary, then shows the summary again', async () => {
    const u = newUser('editor');
    await play(t, u, CLAIRE, { until: 'summary' });
    const which = await t.press(u, 'Modifier');
    expect(texts(which)).toMatch(/Quelle réponse voulez-vous modifier/);
    expect(which.at(-1)?.buttons.map((b) => b.title)).toEqual([
      ...SUMMARY_LINES.map((line) => line.replace(/^• (.*) : .*$/, '$1')),
      'Retour au récapitulatif',
    ]);

    // A question asked of mentors in their own words, stored in the mentee's field.
    expect(texts(await t.press(u, "Secteurs d'expertise"))).toMatch(/Dans quels secteurs avez-vous/);
    await t.say(u, 'numérique');
    let summary = texts(await t.press(u, "C'est tout"));
    expect(summary).toContain("• Secteurs d'expertise : Numérique");
    expect(summary).toContain('• Prénom : Claire');

    await t.press(u, 'Modifier');
    await t.say(u, 'entreprise visible');
    summary = texts(await t.say(u, 'non'));
    expect(summary).toContain('• Entreprise visible avant accord : Non');

    await t.press(u, 'Modifier');
    await t.press(u, 'Capacité');
    summary = texts(await t.say(u, 'trois'));
    expect(summary).toContain('• Capacité : 3 personnes');
    expect(summary).toContain("• Secteurs d'expertise : Numérique");

    await t.press(u, "C'est correct");
    await t.press(u, "J'accepte la charte");
    expect(await personOf(t, db.connection, u)).toMatchObject({
      status: 'active',
      profile: { ...CLAIRE_PROFILE, sectors: ['digital'], showCompany: 'no', capacity: '3' },
    });
  });

  it('stores only the refusal when consent is refused, and lets the mentor come back', async () => {
    const u = newUser('refuser');
    await t.say(u, 'salut');
    const refused = texts(await t.press(u, 'Je refuse'));
    expect(refused).toBe(fr('mentor:consent.declined'));
    expect(refused).toMatch(/nous ne conservons rien d'autre que votre refus/);
    expect(refused).toMatch(/Si vous changez d'avis, écrivez-moi simplement/);
    const person = await personOf(t, db.connection, u);
    expect(person.status).toBe('declined_consent');
    expect(person.profile).toEqual({});
    const records = await t.bot.services.consents.history(person._id);
    expect(records.map((c) => [c.kind, c.decision])).toEqual([['data_processing', 'refused']]);

    const again = await t.say(u, 'finalement je veux bien');
    expect(again[0]?.text).toBe(fr('mentor:welcome'));
    expect(again[1]?.text).toMatch(/vous présenter des personnes à accompagner \?/);
    expect(texts(await t.say(u, 'oui'))).toBe(fr('onboarding:ask.firstName'));
  });

  it.each([
    ['pressed', { press: 'Aucun' }],
    ['typed', 'aucun'],
    ['typed in a sentence', 'aucun programme'],
    ['typed "non"', 'non'],
  ] as const)('takes "Aucun" programme (%s) as the whole answer', async (_how, input) => {
    const u = newUser('noprogramme');
    const journey = claireWith({ programmes: input }).filter(([name]) => name !== 'programmes_done');
    const summary = texts(await play(t, u, journey, { until: 'summary' }));
    expect(summary).toContain('• Programme partenaire : Aucun');
    await play(t, u, journey, { from: 'summary' });
    expect((await personOf(t, db.connection, u)).profile.programmes).toEqual([]);
  });

  it('after a programme is chosen, "aucun" only means no other one', async () => {
    const u = newUser('programme-then-none');
    await play(t, u, CLAIRE, { until: 'programmes_done' });
    expect(texts(await t.say(u, 'aucun autre'))).toMatch(/Combien de personnes/);
    const summary = texts(await play(t, u, CLAIRE, { from: 'capacity', until: 'summary' }));
    expect(summary).toContain('• Programme partenaire : Réseau Entreprendre Provence');
  });

  it.each([
    ['non', 'non'],
    ['rien', 'rien'],
    ['aucune', 'aucune'],
    ["c'est tout", "c'est tout"],
    ['Non, merci', 'Non, merci'],
    ['the button', { press: 'Non' }],
  ] as const)('skips the optional skills text on %s', async (_how, input) => {
    const u = newUser('noskills');
    await play(t, u, CLAIRE, { until: 'skillsOther' });
    const next = await play(t, u, [['skillsOther', input]]);
    expect(texts(next)).toMatch(/Venez-vous par un programme partenaire/);
    const summary = texts(await play(t, u, CLAIRE, { from: 'programmes', until: 'summary' }));
    expect(summary).toContain('• Autres compétences : —');
    await play(t, u, CLAIRE, { from: 'summary' });
    const { profile } = await personOf(t, db.connection, u);
    expect(profile).not.toHaveProperty('skillsOther');
    const { skillsOther: _, ...rest } = CLAIRE_PROFILE;
    expect(profile).toEqual(rest);
  });

  it('asks for the text itself when the answer to "Autre chose ?" is "oui"', async () => {
    const u = newUser('skills-yes');
    await play(t, u, CLAIRE, { until: 'skillsOther' });
    expect(texts(await t.say(u, 'oui'))).toBe(
      `${fr('common:ask.type_answer')}\n\n${fr('mentor:ask.skillsOther')}`,
    );
    expect(texts(await t.say(u, 'Recrutement'))).toMatch(/Venez-vous par un programme partenaire/);
  });

  it('re-asks a bio over 280 characters kindly, and takes a shorter one', async () => {
    const u = newUser('longbio');
    await play(t, u, CLAIRE, { until: 'bio' });
    const long = 'J’accompagne des équipes RH depuis quinze ans. '.repeat(7).trim();
    expect([...long].length).toBeGreaterThan(280);
    const again = texts(await t.say(u, long));
    expect(again).toBe(
      `${fr('common:ask.too_long', { count: [...long].length, max: 280 })}\n\n${fr('mentor:ask.bio', { max: 280 })}`,
    );
    expect(again).toMatch(/la limite est de 280/);
    expect(texts(await t.say(u, 'DRH depuis 15 ans.'))).toMatch(/le nom de votre entreprise/);
    const summary = texts(await play(t, u, CLAIRE, { from: 'showCompany', until: 'summary' }));
    expect(summary).toContain('• Présentation : DRH depuis 15 ans.');
  });

  it.each([
    ['deux', '2'],
    ['2', '2'],
    ['une seule', '1'],
    ['3 personnes', '3'],
    // The singular is no "1 personne".
    ['2 personne', '2'],
    ['deux personne', '2'],
    ['3 mentorés max', '3'],
  ])('understands the capacity typed as "%s"', async (typed, value) => {
    const u = newUser('capacity');
    await play(t, u, CLAIRE, { until: 'capacity' });
    expect(texts(await t.say(u, typed))).toMatch(/Quand êtes-vous disponible/);
    await play(t, u, CLAIRE, { from: 'availability' });
    expect((await personOf(t, db.connection, u)).profile.capacity).toBe(value);
  });

  it('re-asks the capacity kindly when it is not 1, 2 or 3, saying the most', async () => {
    const u = newUser('capacity-bad');
    await play(t, u, CLAIRE, { until: 'capacity' });
    const tooMany = `${fr('mentor:ask.capacity_max', { max: 3 })}\n\n${fr('mentor:ask.capacity')}`;
    expect(tooMany).toMatch(/3 personnes au plus/);
    expect(texts(await t.say(u, 'dix'))).toBe(tooMany);
    const again = await t.say(u, '4 personnes');
    expect(texts(again)).toBe(tooMany);
    expect(again.at(-1)?.buttons.map((b) => b.title)).toEqual(['1 personne', '2 personnes', '3 personnes']);
    // Not a number: not understood (the third miss in a row also offers help).
    expect(texts(await t.say(u, 'beaucoup')).startsWith(fr('common:ask.not_understood'))).toBe(true);
  });

  it('"recommencer" mid-way starts the mentor onboarding again, without the consent', async () => {
    const u = newUser('restart');
    await play(t, u, CLAIRE, { until: 'skills_more' });
    const replies = await t.say(u, 'recommencer');
    expect(replies.map((r) => r.text)).toEqual([fr('common:restart'), fr('onboarding:ask.firstName')]);
    const person = await personOf(t, db.connection, u);
    expect(person).toMatchObject({ role: 'mentor', status: 'onboarding', profile: {} });
    const consents = await t.bot.services.consents.history(person._id);
    expect(consents.map((c) => [c.kind, c.decision])).toEqual([['data_processing', 'accepted']]);

    expect(texts(await t.say(u, 'Marc'))).toBe(fr('mentor:ask.company'));
    const summary = texts(await play(t, u, CLAIRE, { from: 'company', until: 'summary' }));
    expect(summary).toContain('• Prénom : Marc');
    expect(summary).toContain(
      '• Compétences : CV et candidatures, Préparation aux entretiens, Confiance en soi',
    );
    await play(t, u, CLAIRE, { from: 'summary' });
    expect(await personOf(t, db.connection, u)).toMatchObject({
      status: 'active',
      profile: { ...CLAIRE_PROFILE, firstName: 'Marc' },
    });
  });

  it('"aide" gives the mentor help, then the same question again', async () => {
    const u = newUser('help');
    const pending = (await play(t, u, CLAIRE, { until: 'capacity' })).at(-1);
    const replies = await t.say(u, 'aide');
    expect(replies).toEqual([{ text: fr('mentor:help'), buttons: [] }, pending]);
  });

  it('records a refused charter, says so in mentor words, and offers it again', async () => {
    const u = newUser('nocharter');
    await play(t, u, CLAIRE, { until: 'charter' });
    expect(texts(await t.press(u, 'Je refuse'))).toBe(fr('mentor:charter_declined'));
    const person = await personOf(t, db.connection, u);
    expect(person).toMatchObject({ status: 'declined_charter', profile: CLAIRE_PROFILE });
    expect(texts(await t.say(u, 'je veux la relire'))).toMatch(/charte d'engagement/);
    expect(texts(await t.say(u, 'oui'))).toMatch(/Merci, c'est noté/);
    expect((await personOf(t, db.connection, u)).status).toBe('active');
    expect(texts(await t.say(u, 'Bonjour'))).toBe(fr('mentor:idle'));
  });

  it('a new charter version: a paused mentor who accepts stays paused; one who refuses is declined', async () => {
    const older = { $set: { 'consents.charter.version': '2025-01' } };
    const people = personModel(db.connection);
    const paused = newUser('newcharter_paused');
    await play(t, paused, CLAIRE);
    const pausedId = (await personOf(t, db.connection, paused))._id;
    await people.updateOne({ _id: pausedId }, { ...older, $set: { ...older.$set, status: 'paused' } });
    expect(texts(await t.say(paused, 'Bonjour'))).toMatch(/La charte du Hub a changé/);
    await t.press(paused, "J'accepte la charte");
    expect(await personOf(t, db.connection, paused)).toMatchObject({
      status: 'paused',
      consents: { charter: { decision: 'accepted', version: fr('charter:version') } },
    });

    const refusing = newUser('newcharter_refused');
    await play(t, refusing, CLAIRE);
    await people.updateOne({ _id: (await personOf(t, db.connection, refusing))._id }, older);
    expect(texts(await t.say(refusing, 'Bonjour'))).toMatch(/La charte du Hub a changé/);
    expect(texts(await t.press(refusing, 'Je refuse'))).toBe(fr('mentor:charter_declined'));
    expect(await personOf(t, db.connection, refusing)).toMatchObject({
      status: 'declined_charter',
      consents: { charter: { decision: 'refused', version: fr('charter:version') } },
    });
  });

  it('still gives a mentee (a stranger on a mentee channel) the mentee onboarding', async () => {
    const mentees = makeTestBot(db.connection);
    const u = newUser('mentee');
    const hello = await mentees.say(u, 'Bonjour');
    expect(hello[0]?.text).toBe(fr('onboarding:welcome'));
    expect(hello[1]?.text).toBe(fr('onboarding:consent.ask', { privacyUrl }));
    expect(texts(await mentees.press(u, "J'accepte"))).toBe(fr('onboarding:ask.age'));
    expect(await personOf(mentees, db.connection, u)).toMatchObject({ role: 'mentee', status: 'onboarding' });
    expect(texts(await mentees.say(u, 'aide'))).toContain(fr('common:help'));
  });
});
