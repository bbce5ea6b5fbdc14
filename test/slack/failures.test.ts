import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { App } from '../../bot/app.js';
import { text } from '../../bot/engine/reply.js';
import { UnreachableError } from '../../bot/errors.js';
import { identityModel } from '../../models/identity.js';
import { startTestApp } from '../helpers/app.js';
import { type FakeSlack, startFakeSlack } from '../helpers/fake-slack.js';
import { asEvent, signSlackRequest } from '../helpers/slack-fixtures.js';
import { postSlack, SIGNING_SECRET, SlackUser, slackEnv } from '../helpers/slack-user.js';

let fake: FakeSlack;
let app: App;

beforeAll(async () => {
  fake = await startFakeSlack({ perChannelRate: 50, perChannelBurst: 5 });
  // Slack refuses the token when the app starts (revoked, or Slack unreachable for a while).
  // Twice: at start, and at the first event.
  fake.failNext('auth.test', 2, { error: 'invalid_auth' });
  app = await startTestApp(slackEnv(fake));
});
afterAll(async () => {
  await fake.close();
});

describe('Slack: when Slack or the database fails', () => {
  it('starts with a token Slack refuses, and answers once Slack accepts it again', async () => {
    // The refusal at start is asked again at the first event, not kept (nor left unhandled,
    // which would stop the process: vitest fails the run on an unhandled rejection).
    await vi.waitFor(() => expect(fake.callsOf('auth.test').length).toBe(1));
    const user = new SlackUser(fake, app, 'U0TOKEN001');
    // An event meanwhile is refused (500, nothing recorded), so that Slack delivers it again.
    const body = asEvent(user.messageEvent('Bonjour'));
    expect((await postSlack(app, body, 'application/json')).status).toBe(500);
    expect(fake.callsOf('auth.test').length).toBe(2);
    const retry = { ...signSlackRequest(body, SIGNING_SECRET), 'x-slack-retry-num': '1' };
    expect((await postSlack(app, body, 'application/json', retry)).status).toBe(200);
    await app.slack?.settled();
    expect(user.transcript()).toMatch(/Bienvenue/);
    expect(fake.callsOf('auth.test').length).toBe(3);
    // Asked once it has answered: not once per event.
    await user.say('oui');
    expect(fake.callsOf('auth.test').length).toBe(3);
  });

  it('does not take a refused token (account_inactive) for a person gone', async () => {
    const slack = app.bot.adapter.channel('slack');
    const identities = identityModel(app.db.connection);
    const unreachable = async (user: SlackUser) =>
      (await identities.findById(`slack|${user.userId}`).lean())?.unreachable;
    const send = (user: SlackUser) =>
      slack.send(
        {
          user: { id: user.userId, name: '' },
          conversation: { id: user.channel, isGroup: false, conversationType: 'personal', name: '' },
        },
        [text('Un mot de l’équipe Tandem.')],
      );

    const kept = new SlackUser(fake, app, 'U0TOKEN002');
    await kept.say('Bonjour');
    fake.failNext('chat.postMessage', 1, { error: 'account_inactive' });
    const error = await send(kept).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(UnreachableError);
    expect(await unreachable(kept)).toBe(false);

    // A person whose account was disabled is.
    const gone = new SlackUser(fake, app, 'U0TOKEN003');
    await gone.say('Bonjour');
    fake.failNext('chat.postMessage', 1, { error: 'user_disabled' });
    await expect(send(gone)).rejects.toBeInstanceOf(UnreachableError);
    expect(await unreachable(gone)).toBe(true);
  });

  it('answers /tandem kindly when the database fails', async () => {
    const user = new SlackUser(fake, app, 'U0TOKEN004');
    await user.say('Bonjour');
    const read = vi
      .spyOn(app.bot.services.people, 'identity')
      .mockRejectedValueOnce(new Error('database unreachable'));
    try {
      expect(await user.command('statut')).toMatch(/Un souci technique est survenu/);
    } finally {
      read.mockRestore();
    }
    expect(await user.command('statut')).not.toMatch(/souci technique/);
  });
});
