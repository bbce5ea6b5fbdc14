import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../bot/app.js';
import { identityModel } from '../../models/identity.js';
import { startTestApp } from '../helpers/app.js';
import { type FakeSlack, startFakeSlack } from '../helpers/fake-slack.js';
import { CLAIRE, LEA } from '../helpers/journey.js';
import { pollUntil } from '../helpers/poll.js';
import { asInteraction } from '../helpers/slack-fixtures.js';
import { SlackUser, slackEnv } from '../helpers/slack-user.js';
import { WebUser } from '../helpers/web-user.js';

/**
 * The whole proposal flow through the real app: the mentee in the web chat (Direct Line), the
 * mentor in Slack (the real Bolt and Web API clients against a fake Slack), each message the bot
 * starts going through the outbox to the other's channel.
 */

const FORM = 'application/x-www-form-urlencoded';

let fake: FakeSlack;
let app: App;

beforeAll(async () => {
  fake = await startFakeSlack({ perChannelRate: 50, perChannelBurst: 5 });
  app = await startTestApp({ ...slackEnv(fake), STAFF_SLACK_CHANNEL: 'C0STAFF01' });
});
afterAll(async () => {
  await fake.close();
});

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
    const claire = new SlackUser(fake, app, 'U0CLAIRE01');
    for (const [, input] of CLAIRE)
      typeof input === 'string' ? await claire.say(input) : await claire.click(input.press);

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
});
