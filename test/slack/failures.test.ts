import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { App } from '../../bot/app.js';
import { standaloneCard, text } from '../../bot/engine/reply.js';
import { PartlySentError, UnreachableError } from '../../bot/errors.js';
import { createI18n } from '../../bot/i18n.js';
import { KeyboardStore } from '../../channels/shared/keyboards.js';
import { identityModel } from '../../models/identity.js';
import { startTestApp } from '../helpers/app.js';
import { type FakeSlack, startFakeSlack } from '../helpers/fake-slack.js';
import { asEvent, asInteraction, signSlackRequest } from '../helpers/slack-fixtures.js';
import { postSlack, SIGNING_SECRET, SlackUser, slackEnv } from '../helpers/slack-user.js';

const fr = createI18n().getFixedT('fr');

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

  it('says how much of a send went when Slack refuses it half-way, and a retry sends only the rest', async () => {
    const user = new SlackUser(fake, app, 'U0PARTLY01');
    await user.say('Bonjour');
    const slack = app.bot.adapter.channel('slack');
    const ref = {
      user: { id: user.userId, name: '' },
      conversation: { id: user.channel, isGroup: false, conversationType: 'personal', name: '' },
    };
    // A text, a card standing on its own, a text: three messages in Slack.
    const card = standaloneCard(
      { title: 'Une carte', text: 'Son texte', buttons: [{ title: 'Oui', value: 'yes' }] },
      'q',
    );
    const three = [text('Premier message.'), card, text('Dernier message.')];
    const before = fake.messages(user.channel).length;
    fake.failNext('chat.postMessage', 1, { error: 'internal_error' }, { after: 1 });
    const error = await slack.send(ref, three).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(PartlySentError);
    expect((error as PartlySentError).sent).toBe(1);
    await slack.send(ref, three.slice((error as PartlySentError).sent));
    const said = fake
      .messages(user.channel)
      .slice(before)
      .map((m) => m.text);
    expect(said).toEqual(['Premier message.', '*Une carte*\nSon texte', 'Dernier message.']);
  });

  it('gives back a click that failed half-way: the next click on that button is taken', async () => {
    for (const [i, written] of [false, true].entries()) {
      const user = new SlackUser(fake, app, `U0CLICK00${i}`);
      await user.say('Bonjour');
      const payload = asInteraction(user.clickPayload("J'accepte"));
      // The click is taken, then closing its keyboard fails (the database, a moment): before the
      // write, or after it (the answer lost on the way back).
      const store = KeyboardStore.prototype as unknown as { close(doc: string, key: string): Promise<void> };
      const original = store.close;
      const close = vi.spyOn(store, 'close').mockImplementationOnce(async function (this: unknown, doc, key) {
        if (written) await original.call(this, doc, key);
        throw new Error('database unreachable');
      });
      try {
        await postSlack(app, payload, 'application/x-www-form-urlencoded');
        await app.slack?.settled();
        expect(close).toHaveBeenCalledTimes(1);
      } finally {
        close.mockRestore();
      }
      expect(user.transcript()).not.toMatch(/Comment vous appelez-vous/);
      // Slack does not send it again: the person clicks again.
      await postSlack(app, payload, 'application/x-www-form-urlencoded');
      await app.slack?.settled();
      expect(
        fake.ephemerals(user.channel).map((e) => e.text),
        `written: ${written}`,
      ).toEqual([]);
      expect(user.transcript()).toMatch(/Comment vous appelez-vous/);
    }
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

  it('tells a mentor privately that an edited answer is not taken, and ignores its own edits', async () => {
    const user = new SlackUser(fake, app, 'U0TOKEN005');
    await user.say('Bonjour');
    const edit = (message: Record<string, unknown>, eventId: string) => {
      const envelope = user.messageEvent('') as unknown as {
        event: Record<string, unknown>;
        event_id: string;
      };
      envelope.event_id = eventId;
      envelope.event = {
        type: 'message',
        subtype: 'message_changed',
        hidden: true,
        channel: user.channel,
        channel_type: 'im',
        ts: '1718264200.000200',
        event_ts: '1718264200.000200',
        message: { type: 'message', ts: '1718264188.512309', text: 'Bonjour !', ...message },
      };
      return asEvent(envelope);
    };
    // The person edits their message...
    const mine = edit(
      { user: user.userId, edited: { user: user.userId, ts: '1718264200.000000' } },
      'EvEDIT1',
    );
    expect((await postSlack(app, mine, 'application/json')).status).toBe(200);
    // ...and the app's own message changes as its buttons give way to a choice.
    const app_ = edit(
      { bot_id: 'B0TANDEM', user: 'U0TANDEMBOT', edited: { user: 'U0TANDEMBOT' } },
      'EvEDIT2',
    );
    expect((await postSlack(app, app_, 'application/json')).status).toBe(200);
    await app.slack?.settled();
    const told = fake.ephemerals(user.channel).map((e) => e.text);
    expect(told).toEqual([fr('slack:edited')]);
    expect(told[0]).toMatch(/n'est pas prise en compte : je garde la première/);
    // An answer edited in a thread: told in that thread; one with a thread under it, beside it.
    const question = fake.lastMessage(user.channel)?.ts;
    const inThread = { user: user.userId, edited: { user: user.userId, ts: '1718264201.000000' } };
    await postSlack(app, edit({ ...inThread, thread_ts: question }, 'EvEDIT3'), 'application/json');
    await postSlack(
      app,
      edit({ ...inThread, thread_ts: '1718264188.512309' }, 'EvEDIT4'),
      'application/json',
    );
    await app.slack?.settled();
    expect(fake.ephemerals(user.channel).map((e) => e.thread_ts)).toEqual([undefined, question, undefined]);
  });
});
