import type { Activity } from 'botbuilder';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { Database } from '../../bot/db/database.js';
import type { ButtonValue } from '../../bot/engine/reply.js';
import { createI18n } from '../../bot/i18n.js';
import { matchingRoundJob } from '../../bot/jobs/matching-round.js';
import { claim } from '../../models/claim.js';
import { personModel } from '../../models/person.js';
import { proposalModel } from '../../models/proposal.js';
import { makeTestBot, type Reply, type TestBot, texts, toReply } from '../helpers/bot.js';
import { silentLog, useTestDb } from '../helpers/db.js';
import { CLAIRE, LEA, personOf, play } from '../helpers/journey.js';

/**
 * The matching's conversations end to end in one bot: mentees on the 'test' channel, mentors on
 * 'mentors' (whose strangers are mentors, as on Slack). Messages the bot starts go through the
 * outbox; `inbox` reads what reached a person since last read.
 */

const HOUR = 3600_000;
const fr = createI18n().getFixedT('fr');

let db: Database;
let mentees: TestBot;
let mentors: TestBot;
let clock = Date.now();

beforeAll(async () => {
  db = await useTestDb('proposals_flow');
  mentees = makeTestBot(db.connection, 'test', { now: () => clock });
  mentors = mentees.on('mentors', 'mentor');
});

const read = new Map<string, number>();

/** What reached `user` on `t`'s channel since the last call (the turns' replies and the outbox's). */
async function inbox(t: TestBot, user: string): Promise<Reply[]> {
  await t.bot.services.outbox.idle();
  const key = `${t.channel.id}|${user}`;
  const all = t.channel.sent.get(`conv-${user}`) ?? [];
  const from = read.get(key) ?? 0;
  read.set(key, all.length);
  return all.slice(from).map((a: Partial<Activity>) => toReply(a));
}

/** Presses the button titled `title` of the last card or question that reached `user`. */
async function pressIn(t: TestBot, user: string, replies: Reply[], title: string): Promise<Reply[]> {
  const button = [...replies]
    .reverse()
    .flatMap((r) => r.buttons)
    .find((b) => b.title === title);
  if (!button) throw new Error(`no button ${title} in ${JSON.stringify(replies.map((r) => r.buttons))}`);
  const replied = await t.say(user, button.value as ButtonValue);
  await inbox(t, user);
  return replied;
}

let n = 0;

/** A mentor onboarded through the whole conversation, then renamed and resized in the database. */
async function mentor(firstName: string, more: Record<string, unknown> = {}): Promise<string> {
  const user = `mentor-${firstName.toLowerCase()}-${n++}`;
  await play(mentors, user, CLAIRE);
  const person = await personOf(mentors, db.connection, user);
  await personModel(db.connection).updateOne(
    { _id: person._id },
    { $set: { 'profile.firstName': firstName, ...more } },
  );
  await mentees.bot.services.candidates.invalidate();
  await inbox(mentors, user);
  return user;
}

/** A new mentee who passes every mentor until `mentorName`'s card is on screen. */
async function cardOf(mentorName: string, who: string): Promise<{ user: string; card: Reply }> {
  const { user, replies } = await mentee(who);
  let card = replies.at(-1) as Reply;
  for (let i = 0; i < 30 && !card.text.startsWith(`${mentorName} ·`); i++)
    card = (await pressIn(mentees, user, [card], 'Voir un autre profil')).at(-1) as Reply;
  expect(card.text).toMatch(new RegExp(`^${mentorName} ·`));
  return { user, card };
}

/** A new mentee who passes every mentor until `mentorName` comes, and asks for them. */
async function requestFromMentor(mentorName: string, who: string): Promise<string> {
  const { user, card } = await cardOf(mentorName, who);
  await pressIn(mentees, user, [card], "Ça m'intéresse");
  return user;
}

/** A mentee onboarded through the whole conversation; returns the replies to the charter. */
async function mentee(firstName = 'Léa'): Promise<{ user: string; replies: Reply[] }> {
  const user = `mentee-${firstName.toLowerCase()}-${n++}`;
  const journey = LEA.map(([step, input]) =>
    step === 'firstName' ? ([step, firstName] as [string, string]) : [step, input],
  ) as typeof LEA;
  const replies = await play(mentees, user, journey);
  await inbox(mentees, user);
  return { user, replies };
}

describe('a proposal from the card to the match', () => {
  it('goes card → request → acceptance → introductions → contact details, each in their channel', async () => {
    const claire = await mentor('Claire');
    const { user: lea, replies } = await mentee('Léa');

    // The end of the onboarding: the first proposal, as a card with its reasons and three buttons.
    expect(texts(replies)).toMatch(/Voici un premier profil de mentor pour vous/);
    const card = replies.at(-1) as Reply;
    expect(card.text).toMatch(/^Claire · Directrice des ressources humaines/);
    expect(card.text).toMatch(/Acme Provence/); // Claire lets her company show
    expect(card.text).toMatch(/Pourquoi ce profil :\n• /);
    expect(card.text).toMatch(/• Disponible en soirée comme vous/);
    expect(card.buttons.map((b) => b.title)).toEqual(["Ça m'intéresse", 'Voir un autre profil', 'Plus tard']);

    const requested = texts(await pressIn(mentees, lea, replies, "Ça m'intéresse"));
    expect(requested).toMatch(
      // (Month names have accents: "décembre" is no \w+.)
      /C'est envoyé ! Claire a 72 heures pour vous répondre, jusqu'au \S+ \d+ \S+ à \d\d:\d\d/,
    );

    // Claire's request: who asks and for what, never contact details; three buttons.
    const request = await inbox(mentors, claire);
    expect(request).toHaveLength(1);
    const asked = request[0] as Reply;
    expect(asked.text).toMatch(/^Une personne souhaite être accompagnée par vous/);
    for (const line of [
      'Prénom : Léa',
      "Situation : Demandeur·se d'emploi",
      'Secteurs : Numérique',
      'Commune : Aubagne',
      'Ses attentes : « Relire mon CV. »',
    ])
      expect(asked.text).toContain(line);
    expect(asked.text).not.toMatch(/@|\+33|0\d( ?\d\d){4}/);
    expect(asked.buttons.map((b) => b.title)).toEqual(["J'accepte", 'Je décline', 'Plus tard']);

    // While she waits, Léa is told where her request stands.
    expect(texts(await mentees.say(lea, 'Alors ?'))).toMatch(/Votre demande est chez Claire/);
    await inbox(mentees, lea);

    const accepted = texts(await pressIn(mentors, claire, request, "J'accepte"));
    expect(accepted).toMatch(/C'est parti : vous accompagnez désormais Léa/);
    expect(accepted).toMatch(/Vos engagements, en bref :\n• Respect.*\n• Confidentialité.*\n• Engagement/);
    expect(accepted).toMatch(/Premier pas conseillé/);
    expect(accepted).toMatch(/quelles coordonnées acceptez-vous de transmettre à Léa/);

    const intro = await inbox(mentees, lea);
    expect(texts(intro)).toMatch(/Bonne nouvelle : Claire accepte de vous accompagner/);
    expect(texts(intro)).toMatch(/Vos engagements, en bref/);

    // Léa shares her e-mail: checked, then passed on to Claire, with a consent record.
    expect(texts(await pressIn(mentees, lea, intro, 'Mon e-mail'))).toBe(fr('proposals:contact.ask_email'));
    expect(texts(await mentees.say(lea, 'lea@exemple'))).toMatch(/ne semble pas valide/);
    expect(texts(await mentees.say(lea, 'lea@exemple.fr'))).toBe(
      fr('proposals:contact.done', { name: 'Claire' }),
    );
    expect(texts(await inbox(mentors, claire))).toBe(
      'Voici les coordonnées que Léa vous transmet :\n• E-mail : lea@exemple.fr',
    );
    const leaPerson = await personOf(mentees, db.connection, lea);
    const records = await mentees.bot.services.consents.history(leaPerson._id);
    expect(records.filter((r) => r.kind === 'contact_sharing').map((r) => r.decision)).toEqual(['accepted']);

    // Claire prefers the Hub: Léa is told, staff are alerted.
    const viaHub = await pressIn(mentors, claire, [lastCard(mentors, claire)], 'Passer par le Hub');
    expect(texts(viaHub)).toBe(fr('proposals:contact.done_none', { name: 'Léa' }));
    expect(texts(await inbox(mentees, lea))).toMatch(/Claire préfère que l'équipe du Hub organise/);
    expect((await mentees.bot.services.alerts.open()).map((a) => a.kind)).toContain('contact_via_hub');

    // A "oui" typed now is not taken for an answer to a card long gone.
    expect(texts(await mentees.say(lea, 'oui'))).toBe(fr('proposals:mentee.matched', { name: 'Claire' }));
    // A pair: the match holds a place of Claire's capacity, and Léa is told she has a mentor.
    const claireId = (await personOf(mentors, db.connection, claire))._id;
    expect(await mentees.bot.services.proposals.activeMatches(claireId)).toHaveLength(1);
    expect(texts(await mentees.say(lea, 'Bonjour'))).toMatch(/Vous êtes accompagné·e par Claire/);
    // Another press on the contact card changes nothing.
    const again = await pressIn(mentees, lea, [lastCard(mentees, lea)], 'Mon téléphone');
    expect(texts(again)).toBe(fr('proposals:contact.already'));
  });
});

/** The last card (with buttons) that reached `user` on `t`'s channel, whether read or not. */
function lastCard(t: TestBot, user: string): Reply {
  const all = (t.channel.sent.get(`conv-${user}`) ?? []).map((a: Partial<Activity>) => toReply(a));
  const last = [...all].reverse().find((r) => r.buttons.length > 0);
  if (!last) throw new Error(`no card for ${user}`);
  return last;
}

describe("the mentee's answers", () => {
  it('"Voir un autre profil" never shows that mentor again; with nobody left, says so and tells staff', async () => {
    await mentor('Malik');
    await mentor('Nora');
    const { user, replies } = await mentee('Inès');
    const seen: string[] = [];
    let card = replies.at(-1) as Reply;
    // Every mentor of this database except those already paired, one at a time.
    for (let i = 0; i < 10 && card.buttons.length > 0; i++) {
      const name = card.text.split(' · ')[0] as string;
      expect(seen).not.toContain(name);
      seen.push(name);
      const next = await pressIn(mentees, user, [card], 'Voir un autre profil');
      expect(texts(next)).toMatch(/^C'est noté, je ne vous proposerai plus ce profil/);
      card = next.at(-1) as Reply;
    }
    expect(seen).toEqual(expect.arrayContaining(['Malik', 'Nora']));
    expect(card.text).toBe(fr('proposals:mentee.nobody'));
    const ines = await personOf(mentees, db.connection, user);
    expect((await mentees.bot.services.alerts.open()).map((a) => [a.kind, a.personId])).toContainEqual([
      'no_candidate',
      ines._id,
    ]);
    // An old card's button, pressed again: that profile is no longer offered.
    const old = await mentees.say(user, { q: `proposal:${ines._id}|x`, v: 'interested' });
    expect(texts(old)).toMatch(/^Ce profil n'est plus disponible/);
  });

  it('a mentee told that nobody is left is offered the next mentor who joins, by the matching round', async () => {
    const { user, replies } = await mentee('Jade');
    let card = replies.at(-1) as Reply;
    for (let i = 0; i < 20 && card.buttons.length > 0; i++)
      card = (await pressIn(mentees, user, [card], 'Voir un autre profil')).at(-1) as Reply;
    expect(card.text).toBe(fr('proposals:mentee.nobody'));
    const round = matchingRoundJob({
      conn: db.connection,
      matchmaker: mentees.bot.services.matchmaker,
      charterVersion: fr('charter:version'),
      log: silentLog,
      now: () => clock,
    });
    await round.run();
    expect(await inbox(mentees, user)).toEqual([]);

    await mentor('Zoé');
    await round.run();
    const offered = await inbox(mentees, user);
    expect(offered[0]?.text).toBe(fr('proposals:mentee.new_profile'));
    expect(offered[1]?.text).toMatch(/^Zoé · /);
    // Once: the next round finds her with a proposal open.
    await round.run();
    expect(await inbox(mentees, user)).toEqual([]);
    expect(texts(await pressIn(mentees, user, offered, "Ça m'intéresse"))).toMatch(/^C'est envoyé ! Zoé/);
  });

  it('a matching round goes on past a mentee whose offer fails', async () => {
    const told: string[] = [];
    for (const name of ['Luc', 'Emma']) {
      const { user, replies } = await mentee(name);
      let card = replies.at(-1) as Reply;
      for (let i = 0; i < 30 && card.buttons.length > 0; i++)
        card = (await pressIn(mentees, user, [card], 'Voir un autre profil')).at(-1) as Reply;
      expect(card.buttons).toEqual([]);
      told.push(user);
    }
    // One mentor for both of them (Claire's onboarding gives a capacity of two).
    await mentor('Yanis');
    const { matchmaker } = mentees.bot.services;
    const offer = vi
      .spyOn(matchmaker, 'offerWaiting')
      .mockRejectedValueOnce(new Error('database unreachable'));
    let offers = 0;
    try {
      const round = matchingRoundJob({
        conn: db.connection,
        matchmaker,
        charterVersion: fr('charter:version'),
        log: silentLog,
        now: () => clock,
      });
      await round.run();
      offers = offer.mock.calls.length;
    } finally {
      offer.mockRestore();
    }
    expect(offers).toBe(2);
    const offered = await Promise.all(told.map(async (user) => (await inbox(mentees, user))[1]?.text ?? ''));
    expect(offered.filter((text) => text.startsWith('Yanis · '))).toHaveLength(1);
  });

  it('"Plus tard" keeps the card for the next message, and a typed answer is understood', async () => {
    await mentor('Paul');
    const { user, replies } = await mentee('Sami');
    const card = replies.at(-1) as Reply;
    expect(texts(await pressIn(mentees, user, [card], 'Plus tard'))).toMatch(
      /je garde le profil de \S+ de côté/,
    );
    const again = await mentees.say(user, 'Bonjour');
    expect((again.at(-1) as Reply).text).toBe(card.text);
    expect(texts(await mentees.say(user, 'euh'))).toBe(fr('proposals:mentee.hint'));
    // A refusal that names the interest sends nobody a request.
    expect(texts(await mentees.say(user, "ça m'intéresse pas du tout"))).toBe(fr('proposals:mentee.hint'));
    expect(texts(await mentees.say(user, "ça m'intéresse !"))).toMatch(/^C'est envoyé !/);
  });

  it('"Ça ne m\'intéresse pas", typed, passes the profile', async () => {
    await mentor('Nadia');
    const { user } = await mentee('Yanis');
    expect(texts(await mentees.say(user, "Ça ne m'intéresse pas"))).toMatch(
      new RegExp(`^${fr('proposals:mentee.passed')}`),
    );
  });
});

describe('old cards and changes meanwhile', () => {
  it('a press on an old card while a request waits opens nothing new', async () => {
    await mentor('Iris');
    await mentor('Jules');
    const { user, replies } = await mentee('Noé');
    const first = replies.at(-1) as Reply;
    const second = (await pressIn(mentees, user, [first], 'Voir un autre profil')).at(-1) as Reply;
    expect(texts(await pressIn(mentees, user, [second], "Ça m'intéresse"))).toMatch(/^C'est envoyé !/);
    const noe = await personOf(mentees, db.connection, user);
    const before = await proposalModel(db.connection).countDocuments({ menteeId: noe._id });
    // The first card's buttons again, and a double click on the second.
    const old = texts(await pressIn(mentees, user, [first], "Ça m'intéresse"));
    expect(old).toMatch(/^Ce profil n'est plus disponible/);
    expect(old).toMatch(/Votre demande est chez/);
    expect(texts(await pressIn(mentees, user, [second], "Ça m'intéresse"))).toMatch(/Votre demande est chez/);
    expect(await proposalModel(db.connection).countDocuments({ menteeId: noe._id })).toBe(before);
  });

  it('a card kept for later whose mentor paused meanwhile gives way to another', async () => {
    const { user, replies } = await mentee('Maël');
    const card = replies.at(-1) as Reply;
    const name = card.text.split(' · ')[0] as string;
    await pressIn(mentees, user, [card], 'Plus tard');
    await personModel(db.connection).updateOne(
      { 'profile.firstName': name, role: 'mentor' },
      { $set: { status: 'paused' } },
    );
    await mentees.bot.services.candidates.invalidate();
    const next = await mentees.say(user, 'Je reviens');
    expect((next.at(-1) as Reply).text).not.toMatch(new RegExp(`^${name} ·`));
    // Pressed anyway, the old card asks nothing of the paused mentor.
    expect(texts(await pressIn(mentees, user, [card], "Ça m'intéresse"))).toMatch(
      /^Ce profil n'est plus disponible/,
    );
    await personModel(db.connection).updateMany(
      { 'profile.firstName': name, role: 'mentor' },
      { $set: { status: 'active' } },
    );
    await mentees.bot.services.candidates.invalidate();
  });
});

describe('the contact question', () => {
  it('left half-way, it comes back with the next message, for the mentee and for the mentor', async () => {
    const gael = await mentor('Gaël', { 'profile.capacity': '3' });
    const { user, replies } = await mentee('Sacha');
    let card = replies.at(-1) as Reply;
    const first = card;
    for (let i = 0; i < 20 && !card.text.startsWith('Gaël ·'); i++)
      card = (await pressIn(mentees, user, [card], 'Voir un autre profil')).at(-1) as Reply;
    await pressIn(mentees, user, [card], "Ça m'intéresse");
    await pressIn(mentors, gael, await inbox(mentors, gael), "J'accepte");
    const intro = await inbox(mentees, user);
    expect(texts(await pressIn(mentees, user, intro, 'Mon e-mail'))).toBe(fr('proposals:contact.ask_email'));
    // An old card pressed instead of answering: the contact question is left half-way...
    if (first !== card) await pressIn(mentees, user, [first], "Ça m'intéresse");
    else await mentees.say(user, { q: 'contact:nope', v: 'email' });
    // ...and asked again at the next message, its buttons fresh.
    const back = await mentees.say(user, 'Bonjour');
    expect(texts(back)).toMatch(/Vous êtes accompagné·e par Gaël/);
    expect((back.at(-1) as Reply).buttons.map((b) => b.title)).toContain('Mon téléphone');
    expect(texts(await pressIn(mentees, user, back, 'Mon téléphone'))).toBe(
      fr('proposals:contact.ask_phone'),
    );
    expect(texts(await mentees.say(user, '+33 6 12 34 56 78'))).toBe(
      fr('proposals:contact.done', { name: 'Gaël' }),
    );
    // Gaël has not answered his: writing to the bot brings it back too, once.
    const mentorBack = await mentors.say(gael, 'Bonjour');
    expect(texts(mentorBack)).toMatch(/quelles coordonnées acceptez-vous de transmettre à Sacha/);
    await pressIn(mentors, gael, mentorBack, 'Passer par le Hub');
    expect(texts(await mentors.say(gael, 'Bonjour'))).not.toMatch(/quelles coordonnées/);
  });
});

describe('the contact question, typed', () => {
  it('"mon mail" asks the address, "par le hub" chooses the Hub, "pas par mail" chooses nothing', async () => {
    const zoe = await mentor('Zoé', { 'profile.capacity': '3' });
    const user = await requestFromMentor('Zoé', 'Noé');
    await pressIn(mentors, zoe, await inbox(mentors, zoe), "J'accepte");
    await inbox(mentees, user);
    expect(texts(await mentees.say(user, 'pas par mail'))).toMatch(/Vous êtes accompagné·e par Zoé/);
    expect(texts(await mentees.say(user, 'mon mail'))).toBe(fr('proposals:contact.ask_email'));
    expect(texts(await mentees.say(user, 'noe@exemple.fr'))).toBe(
      fr('proposals:contact.done', { name: 'Zoé' }),
    );
    // (Noé's address reached Zoé meanwhile, and comes first.)
    expect(texts(await mentors.say(zoe, 'par le hub'))).toContain(
      fr('proposals:contact.done_none', { name: 'Noé' }),
    );
    expect(texts(await mentors.say(zoe, 'Bonjour'))).not.toMatch(/quelles coordonnées/);
  });
});

describe("the mentor's answers", () => {
  it('a decline: the mentee gets the next proposal at once, and the mentor may say why', async () => {
    const ana = await mentor('Ana');
    const { user, replies } = await mentee('Yanis');
    // Yanis passes until Ana comes up, then asks for her.
    let card = replies.at(-1) as Reply;
    for (let i = 0; i < 10 && !card.text.startsWith('Ana'); i++)
      card = (await pressIn(mentees, user, [card], 'Voir un autre profil')).at(-1) as Reply;
    expect(card.text).toMatch(/^Ana/);
    await pressIn(mentees, user, [card], "Ça m'intéresse");
    const request = await inbox(mentors, ana);
    const declined = await pressIn(mentors, ana, request, 'Je décline');
    expect(texts(declined)).toMatch(/C'est noté, merci d'avoir répondu. Yanis recevra une autre proposition/);
    expect((declined.at(-1) as Reply).buttons.map((b) => b.title)).toEqual([
      'Pas disponible en ce moment',
      'Hors de mon domaine',
      'Trop loin de chez moi',
      'Autre raison',
    ]);
    expect(texts(await pressIn(mentors, ana, declined, 'Pas disponible en ce moment'))).toBe(
      fr('proposals:reason.thanks'),
    );
    const told = await inbox(mentees, user);
    expect(texts(told)).toMatch(/Ana ne peut pas vous accompagner en ce moment/);
    // The next proposal, or the word that nobody is left: either way, never Ana again.
    expect((told.at(-1) as Reply).text).not.toMatch(/^Ana/);
    // A second press on the request: already answered.
    expect(texts(await pressIn(mentors, ana, request, "J'accepte"))).toBe(fr('proposals:already'));
    const proposal = (
      await mentees.bot.services.proposals.pendingFor((await personOf(mentors, db.connection, ana))._id)
    ).length;
    expect(proposal).toBe(0);
  });

  it('typed, as the buttons: "je n\'accepte pas" is no answer, "plus tard" and "j\'accepte" are', async () => {
    const ines = await mentor('Inès');
    const user = await requestFromMentor('Inès', 'Malo');
    await inbox(mentors, ines);
    const waiting = async () =>
      (await mentees.bot.services.proposals.pendingFor((await personOf(mentors, db.connection, ines))._id))
        .length;
    // A refusal that names the acceptance: the request is shown again, nothing decided.
    expect(texts(await mentors.say(ines, "Je n'accepte pas"))).toMatch(/Une demande attend votre réponse/);
    expect(await waiting()).toBe(1);
    expect(texts(await mentors.say(ines, 'plus tard'))).toMatch(/^Entendu\. Vous avez jusqu'au/);
    expect(await waiting()).toBe(1);
    expect(texts(await mentors.say(ines, "j'accepte"))).toMatch(/vous accompagnez désormais Malo/);
    expect(await waiting()).toBe(0);
    expect(texts(await inbox(mentees, user))).toMatch(/Inès/);
  });
});

describe('deadlines', () => {
  const deadlines = () => mentees.bot.services.matchmaker;

  it('reminds the mentor at two thirds, then expires: the mentee goes on; two in a row pause the mentor', async () => {
    const bruno = await mentor('Bruno', { 'profile.capacity': '3' });
    const first = await requestFromMentor('Bruno', 'Alix');
    await inbox(mentors, bruno);

    // Other tests' requests are due too: what matters is what reached Bruno.
    clock += 47 * HOUR;
    await deadlines().sendReminders();
    expect(await inbox(mentors, bruno)).toEqual([]);
    clock += 1 * HOUR + 60_000;
    expect(await deadlines().sendReminders()).toBeGreaterThanOrEqual(1);
    const reminder = await inbox(mentors, bruno);
    expect(texts(reminder)).toMatch(/^Petit rappel : Alix attend votre réponse jusqu'au/);
    expect((reminder.at(-1) as Reply).buttons.map((b) => b.title)).toEqual([
      "J'accepte",
      'Je décline',
      'Plus tard',
    ]);
    // Once only, whichever process runs the job next.
    expect(await deadlines().sendReminders()).toBe(0);
    expect(await deadlines().expireDue()).toBe(0);
    expect(await inbox(mentors, bruno)).toEqual([]);

    clock += 24 * HOUR;
    expect(await deadlines().expireDue()).toBeGreaterThanOrEqual(1);
    expect(texts(await inbox(mentees, first))).toMatch(
      /Bruno n'a pas pu répondre à temps. Voici un autre profil/,
    );
    expect(texts(await inbox(mentors, bruno))).toBe(fr('proposals:request.expired', { name: 'Alix' }));
    // Too late: the reminder's buttons no longer accept.
    expect(texts(await pressIn(mentors, bruno, reminder, "J'accepte"))).toBe(
      fr('proposals:request.too_late'),
    );
    const brunoId = (await personOf(mentors, db.connection, bruno))._id;
    expect((await mentees.bot.services.people.get(brunoId))?.status).toBe('active');

    await requestFromMentor('Bruno', 'Hugo');
    clock += 73 * HOUR;
    await deadlines().sendReminders();
    expect(await deadlines().expireDue()).toBe(1);
    expect((await mentees.bot.services.people.get(brunoId))?.status).toBe('paused');
    expect(texts(await inbox(mentors, bruno))).toMatch(/j'ai mis votre profil en pause/);
    expect((await mentees.bot.services.alerts.open()).map((a) => [a.kind, a.personId])).toContainEqual([
      'mentor_paused',
      brunoId,
    ]);
    // Paused, Bruno is proposed to nobody.
    const { replies } = await mentee('Eva');
    expect(texts(replies)).not.toMatch(/Bruno ·/);
  });

  it('a request holds a place; when the last place goes, the other requests close kindly', async () => {
    const chloe = await mentor('Chloé', { 'profile.capacity': '2' });
    const a = await requestFromMentor('Chloé', 'Lina');
    const b = await requestFromMentor('Chloé', 'Omar');
    const requests = await inbox(mentors, chloe);
    expect(requests).toHaveLength(2);
    // Two requests wait for her answer, two places: nobody else is offered Chloé meanwhile.
    const rayan = await mentee('Rayan');
    let card = rayan.replies.at(-1) as Reply;
    for (let i = 0; i < 20 && card.buttons.length > 0; i++) {
      expect(card.text).not.toMatch(/^Chloé ·/);
      card = (await pressIn(mentees, `mentee-rayan-${n - 1}`, [card], 'Voir un autre profil')).at(
        -1,
      ) as Reply;
    }
    // "Plus tard" on the first; then she lowers her capacity to one, and says yes to Lina.
    expect(texts(await pressIn(mentors, chloe, [requests[0] as Reply], 'Plus tard'))).toMatch(
      /^Entendu. Vous avez jusqu'au/,
    );
    const chloeId = (await personOf(mentors, db.connection, chloe))._id;
    await personModel(db.connection).updateOne({ _id: chloeId }, { $set: { 'profile.capacity': '1' } });
    // Coming back, Chloé finds the requests waiting for her.
    const pending = await mentors.say(chloe, 'Bonjour');
    expect(texts(pending)).toMatch(/^2 demandes attendent votre réponse/);
    expect(texts(await pressIn(mentors, chloe, [pending[1] as Reply], "J'accepte"))).toMatch(
      /vous accompagnez désormais Lina/,
    );
    // Omar's request closed at once, rather than waiting for its deadline.
    expect(texts(await pressIn(mentors, chloe, [pending[2] as Reply], "J'accepte"))).toBe(
      fr('proposals:request.no_place'),
    );
    expect(texts(await inbox(mentees, a))).toMatch(/Chloé accepte de vous accompagner/);
    expect(texts(await inbox(mentees, b))).toMatch(/Chloé n'a plus de place pour accompagner quelqu'un/);
  });
});

describe('a mentor edits their profile', () => {
  it('lowering the capacity to the pairs they have closes the requests waiting for them at once', async () => {
    const hana = await mentor('Hana', { 'profile.capacity': '2' });
    const first = await requestFromMentor('Hana', 'Ilyes');
    const second = await requestFromMentor('Hana', 'Jeanne');
    const requests = await inbox(mentors, hana);
    await pressIn(mentors, hana, [requests[0] as Reply], "J'accepte");
    expect(texts(await inbox(mentees, first))).toMatch(/Hana accepte de vous accompagner/);
    // From the App Home's "Modifier mon profil": the summary, then one answer changed.
    await mentors.say(hana, { type: 'event', name: 'edit_profile', text: '' });
    await mentors.press(hana, 'Modifier');
    await mentors.press(hana, 'Capacité');
    expect(texts(await mentors.say(hana, 'une'))).toContain('• Capacité : 1 personne');
    expect(texts(await mentors.press(hana, "C'est correct"))).toMatch(/enregistré/);
    expect(texts(await inbox(mentees, second))).toMatch(/Hana n'a plus de place pour accompagner quelqu'un/);
    expect(texts(await pressIn(mentors, hana, [requests[1] as Reply], "J'accepte"))).toBe(
      fr('proposals:request.no_place'),
    );
  });
});

describe('privacy before the match', () => {
  it("hides contact details typed in the mentee's expectations from the mentor's request", async () => {
    const rose = await mentor('Rose', { 'profile.capacity': '3' });
    const user = `mentee-kenza-${n++}`;
    const journey = LEA.map(([step, input]) =>
      step === 'expectations'
        ? ([step, 'Un conseil sur mon CV. Appelez-moi au 06 11 22 33 44 ou kenza.b@exemple.fr'] as [
            string,
            string,
          ])
        : [step, input],
    ) as typeof LEA;
    let card = (await play(mentees, user, journey)).at(-1) as Reply;
    for (let i = 0; i < 20 && !card.text.startsWith('Rose ·'); i++)
      card = (await pressIn(mentees, user, [card], 'Voir un autre profil')).at(-1) as Reply;
    await pressIn(mentees, user, [card], "Ça m'intéresse");
    const request = texts(await inbox(mentors, rose));
    expect(request).toContain(
      'Ses attentes : « Un conseil sur mon CV. Appelez-moi au [coordonnées masquées] ou [coordonnées masquées] »',
    );
    expect(request).not.toMatch(/06 11|exemple\.fr/);
  });
});

describe('pauses, restarts and interrupted answers', () => {
  const matchmaker = () => mentees.bot.services.matchmaker;

  it('a mentor who pauses closes the requests waiting for them; back, they are counted afresh', async () => {
    const anouk = await mentor('Anouk', { 'profile.capacity': '2', 'matching.expiredInARow': 1 });
    const user = await requestFromMentor('Anouk', 'Yanis');
    const request = await inbox(mentors, anouk);
    const anoukId = (await personOf(mentors, db.connection, anouk))._id;
    expect(await matchmaker().setMentorStatus(anoukId, 'paused', 'active')).toBe(true);
    // Yanis does not wait for the deadline of someone who paused.
    expect(texts(await inbox(mentees, user))).toMatch(/^Anouk n'est plus disponible pour le moment\./);
    expect(texts(await pressIn(mentors, anouk, request, "J'accepte"))).toBe(fr('proposals:request.closed'));
    clock += 49 * HOUR;
    await matchmaker().sendReminders();
    expect(await inbox(mentors, anouk)).toEqual([]);
    expect(await matchmaker().setMentorStatus(anoukId, 'active', 'paused')).toBe(true);
    // One expiry after coming back does not pause her again.
    expect((await mentees.bot.services.people.get(anoukId))?.matching?.expiredInARow).toBe(0);
  });

  it('a mentee who starts their profile again withdraws the request waiting for a mentor', async () => {
    const kim = await mentor('Kim', { 'profile.capacity': '3' });
    const user = await requestFromMentor('Kim', 'Lou');
    const request = await inbox(mentors, kim);
    expect(texts(await mentees.say(user, 'recommencer'))).toMatch(/Voulez-vous vraiment recommencer/);
    await mentees.say(user, 'Oui, recommencer');
    expect(texts(await pressIn(mentors, kim, request, "J'accepte"))).toBe(fr('proposals:request.closed'));
    // Nothing about Kim reaches Lou in the middle of their questions.
    expect(texts(await inbox(mentees, user))).not.toMatch(/Kim/);
    const kimId = (await personOf(mentors, db.connection, kim))._id;
    expect(await mentees.bot.services.proposals.activeMatches(kimId)).toEqual([]);
  });

  it('two pairs of one mentor to put in touch through the Hub are two alerts, the same day', async () => {
    const jade = await mentor('Jade', { 'profile.capacity': '3' });
    for (const name of ['Rose', 'Tom']) {
      await requestFromMentor('Jade', name);
      const accepted = await pressIn(mentors, jade, await inbox(mentors, jade), "J'accepte");
      await pressIn(mentors, jade, accepted, 'Passer par le Hub');
    }
    const jadeId = (await personOf(mentors, db.connection, jade))._id;
    const alerts = await mentees.bot.services.alerts.open();
    expect(alerts.filter((a) => a.kind === 'contact_via_hub' && a.personId === jadeId)).toHaveLength(2);
  });

  it('an acceptance a crash interrupted is finished by the deadline job: a pair, both told', async () => {
    const leo = await mentor('Léo', { 'profile.capacity': '3' });
    const user = await requestFromMentor('Léo', 'Nina');
    const request = await inbox(mentors, leo);
    const proposalId = (await personOf(mentees, db.connection, user)).matching?.proposalId ?? '';
    // The acceptance's claim was taken, then the process stopped: nothing else was done.
    expect(await claim(db.connection, `decision|mentor|${proposalId}`, 'accepted')).toBe(true);
    expect(texts(await pressIn(mentors, leo, request, "J'accepte"))).toBe(fr('proposals:already'));
    clock += 73 * HOUR;
    await matchmaker().expireDue();
    expect(texts(await inbox(mentees, user))).toMatch(/Bonne nouvelle : Léo accepte de vous accompagner/);
    expect(texts(await inbox(mentors, leo))).toMatch(/C'est parti : vous accompagnez désormais Nina/);
    const leoId = (await personOf(mentors, db.connection, leo))._id;
    expect((await mentees.bot.services.proposals.activeMatches(leoId)).map((m) => m._id)).toEqual([
      proposalId,
    ]);
    // Run again (another process, the next minute): nothing more.
    await matchmaker().expireDue();
    expect(await inbox(mentees, user)).toEqual([]);
  });

  it('a new charter version is asked before a card waiting on screen can send a request', async () => {
    const mila = await mentor('Mila', { 'profile.capacity': '3' });
    const { user, card } = await cardOf('Mila', 'Théo');
    // The hub publishes a new charter: Théo accepted the one before.
    const theo = await personOf(mentees, db.connection, user);
    await personModel(db.connection).updateOne(
      { _id: theo._id },
      { $set: { 'consents.charter.version': '2020-01-01' } },
    );
    const asked = texts(await pressIn(mentees, user, [card], "Ça m'intéresse"));
    expect(asked).toMatch(new RegExp(fr('charter:new_version').slice(0, 30)));
    expect(await inbox(mentors, mila)).toEqual([]);
    // Accepted, the proposals go on.
    expect(texts(await mentees.say(user, "J'accepte"))).toMatch(/Merci/);
  });

  it('a mentor who pressed a request under an old charter finds it again once the new one is accepted', async () => {
    const sacha = await mentor('Sacha', { 'profile.capacity': '3' });
    await requestFromMentor('Sacha', 'Élie');
    const request = await inbox(mentors, sacha);
    const sachaId = (await personOf(mentors, db.connection, sacha))._id;
    await personModel(db.connection).updateOne(
      { _id: sachaId },
      { $set: { 'consents.charter.version': '2020-01-01' } },
    );
    expect(texts(await pressIn(mentors, sacha, request, "J'accepte"))).toMatch(/La charte du Hub a changé/);
    const again = await mentors.say(sacha, "J'accepte");
    expect(texts(again)).toMatch(/Une demande attend votre réponse/);
    expect(texts(await pressIn(mentors, sacha, again, "J'accepte"))).toMatch(
      /vous accompagnez désormais Élie/,
    );
  });

  it('a restart is confirmed under an old charter, not taken for the charter', async () => {
    const { user } = await mentee('Jules');
    const jules = await personOf(mentees, db.connection, user);
    await personModel(db.connection).updateOne(
      { _id: jules._id },
      { $set: { 'consents.charter.version': '2020-01-01' } },
    );
    expect(texts(await mentees.say(user, 'recommencer'))).toMatch(/Voulez-vous vraiment recommencer/);
    expect(texts(await mentees.say(user, { q: 'restart', v: 'yes' }))).toMatch(/on reprend depuis le début/);
  });

  it('a request made as its mentor pauses is taken back, not left waiting for the deadline', async () => {
    const nour = await mentor('Nour', { 'profile.capacity': '3' });
    const { user, card } = await cardOf('Nour', 'Basile');
    // Nour pauses in another process at this very moment: after Basile's turn found her free, and
    // that pause's closing of her requests ran before Basile's request was written.
    const nourId = (await personOf(mentors, db.connection, nour))._id;
    const { proposals } = mentees.bot.services;
    const decides = proposals.menteeDecides.bind(proposals);
    const spy = vi.spyOn(proposals, 'menteeDecides').mockImplementation(async (...args) => {
      await personModel(db.connection).updateOne({ _id: nourId }, { $set: { status: 'paused' } });
      return decides(...args);
    });
    try {
      expect(texts(await pressIn(mentees, user, [card], "Ça m'intéresse"))).toMatch(
        /^Nour n'est plus disponible pour le moment/,
      );
    } finally {
      spy.mockRestore();
    }
    expect(await inbox(mentors, nour)).toEqual([]);
    expect(await mentees.bot.services.proposals.pendingFor(nourId)).toEqual([]);
  });
});
