import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { App } from '../../bot/app.js';
import { standaloneCard, text } from '../../bot/engine/reply.js';
import { startTestApp } from '../helpers/app.js';
import { type FakeSlack, startFakeSlack } from '../helpers/fake-slack.js';
import { asInteraction } from '../helpers/slack-fixtures.js';
import { postSlack, SlackUser, slackEnv } from '../helpers/slack-user.js';

let fake: FakeSlack;
let app: App;

beforeAll(async () => {
  fake = await startFakeSlack({ perChannelRate: 50, perChannelBurst: 5 });
  app = await startTestApp(slackEnv(fake));
});
afterAll(async () => {
  await fake.close();
});

const REQUEST = standaloneCard(
  {
    title: 'Léa souhaite être accompagnée par vous',
    subtitle: 'Aubagne · numérique',
    text: 'Elle cherche un emploi de cheffe de projet.',
    buttons: [
      { title: 'Accepter', value: 'accept' },
      { title: 'Décliner', value: 'decline' },
      { title: 'Plus tard', value: 'later' },
    ],
  },
  'request:p1',
);

const buttonsOf = (blocks: Array<{ type: string }> | undefined) =>
  (blocks ?? []).filter((b) => b.type === 'actions');

describe('Slack: a standalone card', () => {
  it('leaves the live question alone, survives later messages, and takes its first click once', async () => {
    const user = new SlackUser(fake, app, 'U0CARD001');
    await user.say('Bonjour');
    const ref = {
      conversation: { id: user.channel, isGroup: false, conversationType: 'personal', name: '' },
    };
    const slack = app.bot.adapter.channel('slack');
    const [sent] = await slack.send(ref, [REQUEST]);
    const card = () => fake.messages(user.channel).find((m) => m.ts === sent?.id);
    expect(card()?.text).toContain('Léa souhaite être accompagnée par vous');

    // The question sent before the card is still live: clicking it answers it.
    const answered = await user.click("J'accepte");
    expect(answered.map((m) => m.text).join('\n')).toMatch(/prénom/i);
    expect(buttonsOf(card()?.blocks)).toHaveLength(1);
    expect(card()?.edited).toBeUndefined();

    // A message without buttons closes the question, not the card.
    await slack.send(ref, [text('Un mot de l’équipe Tandem.')]);
    await app.slack?.settled();
    expect(buttonsOf(card()?.blocks)).toHaveLength(1);

    const turns = vi.spyOn(app.bot.engine, 'process');
    const click = asInteraction(user.clickPayload('Accepter'));
    await user.deliver(click, 'application/x-www-form-urlencoded');
    await postSlack(app, click, 'application/x-www-form-urlencoded');
    await app.slack?.settled();
    const received = turns.mock.calls.map(([a]) => ({ type: a.type, value: a.value }));
    turns.mockRestore();

    expect(received).toEqual([{ type: 'message', value: { q: 'request:p1', v: 'accept' } }]);
    expect(buttonsOf(card()?.blocks)).toEqual([]);
    expect(JSON.stringify(card()?.blocks)).toContain('✓ Accepter');
    expect(card()?.text).toContain('Léa souhaite être accompagnée par vous');
    expect(fake.ephemerals(user.channel).map((e) => e.text)).toEqual(['Déjà pris en compte.']);
  });
});
