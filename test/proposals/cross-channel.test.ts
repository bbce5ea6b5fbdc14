import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../bot/app.js';
import { identityModel } from '../../models/identity.js';
import { startTestApp } from '../helpers/app.js';
import { type FakeSlack, startFakeSlack } from '../helpers/fake-slack.js';
import { type FakeTelegram, startFakeTelegram } from '../helpers/fake-telegram.js';
import { CLAIRE, LEA } from '../helpers/journey.js';
import { pollUntil } from '../helpers/poll.js';
import { asEvent, asInteraction, slackFixture } from '../helpers/slack-fixtures.js';
import { SlackUser, slackEnv } from '../helpers/slack-user.js';
import { TelegramUser, telegramEnv } from '../helpers/telegram-user.js';
import { WebUser } from '../helpers/web-user.js';

/**
 * The whole proposal flow through the real app: the mentee in the web chat (Direct Line), the
 * mentor in Slack (the real Bolt and Web API clients against a fake Slack), each message the bot
 * starts going through the outbox to the other's channel.
 */

const FORM = 'application/x-www-form-urlencoded';

let fake: FakeSlack;
let telegram: FakeTelegram;
let app: App;

beforeAll(async () => {
  fake = await startFakeSlack({ perChannelRate: 50, perChannelBurst: 5 });
  telegram = await startFakeTelegram({ perChatRate: 50 });
  app = await startTestApp({
    ...slackEnv(fake),
    ...telegramEnv(telegram),
    TELEGRAM_MAX_PER_CHAT_PER_S: '50',
    STAFF_SLACK_CHANNEL: 'C0STAFF01',
  });
});
afterAll(async () => {
  await fake.close();
  await telegram.close();
});

/** A mentor who went through the whole onboarding in Slack. */
async function slackMentor(userId: string, firstName: string): Promise<SlackUser> {
  const user = new SlackUser(fake, app, userId);
  for (const [step, input] of CLAIRE) {
    const said = step === 'firstName' ? firstName : input;
    typeof said === 'string' ? await user.say(said) : await user.click(said.press);
  }
  return user;
}

/** Waits for a new message in `user`'s direct message with the app whose text matches. */
async function slackGets(user: SlackUser, pattern: RegExp, after: number) {
  await pollUntil(
    () =>
      fake
        .messages(user.channel)
        .slice(after)
        .some((m) => pattern.test(m.text ?? '')),
    10_000,
    () => new Error(`Slack: nothing matching ${pattern}:\n${user.transcript()}`),
    25,
  );
  return fake.messages(user.channel).slice(after);
}

describe('a match across two channels', () => {
  it('the mentee on the web chat, the mentor on Slack: card, request, acceptance, introductions, contact', async () => {
    const claire = await slackMentor('U0CLAIRE01', 'Claire');

    const lea = await WebUser.start(app);
    let seen = await lea.say('Bonjour');
    for (const [, input] of LEA.slice(1)) seen = await lea.say(input);
    const card = seen.at(-1);
    expect(card?.text).toMatch(/^Claire · Directrice des ressources humaines/);
    expect(card?.buttons.map((b) => b.title)).toEqual([
      "Ça m'intéresse",
      'Voir un autre profil',
      'Plus tard',
    ]);

    const before = fake.messages(claire.channel).length;
    expect((await lea.say({ press: "Ça m'intéresse" })).map((s) => s.text).join('\n')).toMatch(
      /C'est envoyé ! Claire a 72 heures/,
    );
    // The request reaches Claire's Slack DM as one Block Kit message with its three buttons.
    const [request] = await slackGets(claire, /Une personne souhaite être accompagnée par vous/, before);
    expect(request?.text).toMatch(/Prénom : Léa/);
    expect(request?.text).toMatch(/Ses attentes : « Relire mon CV. »/);
    const buttons = (request?.blocks ?? [])
      .filter((b) => b.type === 'actions')
      .flatMap((b) => (b.elements as Array<{ text: { text: string } }>).map((e) => e.text.text));
    expect(buttons).toEqual(["J'accepte", 'Je décline', 'Plus tard']);
    // Claire's App Home lists the request waiting for her answer.
    await claire.deliver(
      asEvent(slackFixture('app_home_opened', { userId: claire.userId, eventId: 'EvHOMECLAIRE1' })),
      'application/json',
    );
    expect(JSON.stringify(fake.home(claire.userId)?.blocks)).toContain(
      'Demandes en attente de votre réponse',
    );
    expect(JSON.stringify(fake.home(claire.userId)?.blocks)).toContain('• Léa');

    const click = asInteraction(claire.clickPayload("J'accepte"));
    const accepted = await claire.deliver(click, FORM);
    expect(accepted.map((m) => m.text).join('\n')).toMatch(/vous accompagnez désormais Léa/);
    // The clicked request keeps its text and shows the choice in place of its buttons.
    const updated = fake.messages(claire.channel).find((m) => m.ts === request?.ts);
    expect(JSON.stringify(updated?.blocks)).toContain("✓ J'accepte");
    // The same click again (a double click, a retry): told privately, nothing else happens.
    expect(await claire.deliver(click, FORM)).toEqual([]);
    expect(fake.ephemerals(claire.channel).map((e) => e.text)).toEqual(['Déjà pris en compte.']);
    const claireId = (await identityModel(app.db.connection).findById('slack|U0CLAIRE01').lean())?.personId;
    expect(await app.bot.services.proposals.activeMatches(claireId ?? '')).toHaveLength(1);

    const intro = await lea.next(/Bonne nouvelle : Claire accepte de vous accompagner/);
    expect(intro.at(-1)?.buttons.map((b) => b.title)).toEqual([
      'Mon e-mail',
      'Mon téléphone',
      'Les deux',
      'Passer par le Hub',
    ]);
    await lea.say({ press: 'Mon téléphone' }, /Quel numéro de téléphone/);
    const sentAt = fake.messages(claire.channel).length;
    expect((await lea.say('06 12 34 56 78')).map((s) => s.text).join('\n')).toMatch(
      /C'est transmis à Claire/,
    );
    const contact = await slackGets(claire, /Voici les coordonnées que Léa vous transmet/, sentAt);
    expect(contact.map((m) => m.text).join('\n')).toMatch(/Téléphone : 06 12 34 56 78/);

    // Claire prefers the Hub: Léa is told in the web chat, and the staff channel hears of it.
    await claire.click('Passer par le Hub');
    await lea.next(/Claire préfère que l'équipe du Hub organise votre premier contact/);
    await pollUntil(
      () =>
        fake
          .messages('C0STAFF01')
          .some((m) => /souhaite que le Hub organise le premier contact/.test(m.text ?? '')),
      10_000,
      () => new Error(`staff channel: ${JSON.stringify(fake.messages('C0STAFF01').map((m) => m.text))}`),
      25,
    );
  }, 60_000);

  it('the mentee on Telegram: a decline in Slack brings the next card to Telegram, with its keyboard', async () => {
    const marc = await slackMentor('U0MARC0001', 'Marc');
    const tom = new TelegramUser(telegram, app.url, app.db.connection, 880_001, { first_name: 'Tom' });
    for (const [step, input] of LEA) {
      const said = step === 'firstName' ? 'Tom' : input;
      typeof said === 'string' ? await tom.say(said) : await tom.press(said.press);
    }
    // Claire has one place left, Marc two: either may come first; Tom asks for the first.
    const first = telegram.messages(tom.chatId).at(-1);
    const name = /^(Claire|Marc) · /.exec(first?.text ?? '')?.[1];
    expect(name, tom.transcript()).toBeDefined();
    expect(keys(first)).toEqual(["Ça m'intéresse", 'Voir un autre profil', 'Plus tard']);
    const mentor = name === 'Marc' ? marc : new SlackUser(fake, app, 'U0CLAIRE01');
    const before = fake.messages(mentor.channel).length;
    await tom.press("Ça m'intéresse");
    // The card's buttons go once pressed.
    expect(
      telegram.messages(tom.chatId).find((m) => m.message_id === first?.message_id)?.reply_markup,
    ).toBeFalsy();
    await slackGets(mentor, /Une personne souhaite être accompagnée par vous/, before);
    const seen = telegram.messages(tom.chatId).length;
    await mentor.click('Je décline');
    await pollUntil(
      () => telegram.messages(tom.chatId).length >= seen + 2,
      10_000,
      () => new Error(tom.transcript()),
      25,
    );
    const [told, next] = telegram.messages(tom.chatId).slice(seen);
    expect(told?.text).toBe(
      `${name} ne peut pas vous accompagner en ce moment. Ce n'est pas lié à vous. Voici un autre profil.`,
    );
    const other = name === 'Marc' ? 'Claire' : 'Marc';
    expect(next?.text).toMatch(new RegExp(`^${other} · `));
    expect(keys(next)).toEqual(["Ça m'intéresse", 'Voir un autre profil', 'Plus tard']);
    const later = await tom.press('Plus tard');
    expect(later.map((m) => m.text).join('\n')).toMatch(new RegExp(`je garde le profil de ${other} de côté`));
  }, 60_000);
});

/** The titles of a Telegram message's inline keyboard. */
function keys(message: { reply_markup?: { inline_keyboard?: Array<Array<{ text: string }>> } } | undefined) {
  return (message?.reply_markup?.inline_keyboard ?? []).flat().map((b) => b.text);
}
