import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../bot/app.js';
import { identityModel } from '../../models/identity.js';
import { linkCodeModel } from '../../models/link-code.js';
import { personModel } from '../../models/person.js';
import { telegramUpdateModel } from '../../models/telegram.js';
import { startTestApp } from '../helpers/app.js';
import { type FakeTelegram, startFakeTelegram } from '../helpers/fake-telegram.js';
import { LEA, LEA_PROFILE, stepIndex } from '../helpers/journey.js';
import { telegramFixture } from '../helpers/telegram-fixtures.js';
import { postUpdate, processed, TelegramUser, telegramEnv } from '../helpers/telegram-user.js';

let fake: FakeTelegram;
let app: App;
let nextChat = 700_000_000;

beforeAll(async () => {
  // Telegram's per-chat limit (1 message a second) would make a scripted onboarding last minutes:
  // here both sides allow more; limits.test.ts runs with the real limits.
  fake = await startFakeTelegram({ perChatRate: 50 });
  app = await startTestApp({ ...telegramEnv(fake), TELEGRAM_MAX_PER_CHAT_PER_S: '50' });
});
afterAll(async () => {
  await fake.close();
});

const conn = () => app.db.connection;
const newUser = (from: { first_name?: string; language_code?: string } = {}) =>
  new TelegramUser(fake, app.url, conn(), nextChat++, { first_name: 'Léa', language_code: 'fr', ...from });

async function personOfChat(chatId: number) {
  const identity = await identityModel(conn()).findById(`telegram|${chatId}`).lean();
  if (!identity) throw new Error(`no identity for chat ${chatId}`);
  return { identity, person: await personModel(conn()).findById(identity.personId).lean() };
}

/** Plays Léa's onboarding on Telegram up to step `until` (excluded), from step `from`. */
async function playLea(user: TelegramUser, until = 'end', from = 'hello') {
  let last: Awaited<ReturnType<TelegramUser['say']>> = [];
  for (const [name, input] of LEA.slice(stepIndex(LEA, from), stepIndex(LEA, until))) {
    last = typeof input === 'string' ? await user.say(input) : await user.press(input.press);
    expect(last.length, `no reply to step ${name}:\n${user.transcript()}`).toBeGreaterThan(0);
  }
  return last;
}

describe('Telegram: the mentee onboarding', () => {
  it('is done whole over the webhook, with buttons and typing, and every press is answered within a second', async () => {
    const user = newUser();
    await playLea(user);
    const { person } = await personOfChat(user.chatId);
    expect(person?.role).toBe('mentee');
    expect(person?.status).toBe('active');
    expect(person?.profile).toEqual(LEA_PROFILE);
    expect(person?.lastChannel).toBe('telegram');

    const sends = fake.callsOf('sendMessage').filter((c) => c.chatId === String(user.chatId));
    expect(sends.every((c) => c.params.parse_mode === 'HTML' && c.status === 200)).toBe(true);
    const queries = [...fake.queries.values()].filter((q) => q.chatId === String(user.chatId));
    expect(queries.length).toBe(LEA.filter(([, i]) => typeof i !== 'string').length);
    for (const q of queries) {
      expect(q.answeredAt, `query ${q.data} not answered`).toBeDefined();
      expect((q.answeredAt ?? 0) - q.issuedAt).toBeLessThan(1000);
    }
    // Once the onboarding is over, no message in the chat still has buttons to press.
    expect(fake.messages(user.chatId).filter((m) => m.reply_markup?.inline_keyboard?.length)).toEqual([]);
  });

  it('removes the buttons of a pressed message, and answers a second tap "déjà pris en compte" without a second turn', async () => {
    const user = newUser();
    await user.say('Bonjour');
    const { message, data } = user.button("J'accepte");
    const first = fake.callbackQuery(user.chatId, message.message_id, data);
    const second = fake.callbackQuery(user.chatId, message.message_id, data);
    const before = fake.messages(user.chatId).length;
    await Promise.all([postUpdate(app.url, first), postUpdate(app.url, second)]);
    await processed(conn(), first.update_id);
    await processed(conn(), second.update_id);

    const answers = [first, second].map((u) => fake.queries.get(u.callback_query?.id ?? ''));
    expect(answers.map((a) => a?.answeredAt !== undefined)).toEqual([true, true]);
    expect(answers.filter((a) => a?.text === 'Déjà pris en compte.')).toHaveLength(1);
    const replies = fake.messages(user.chatId).slice(before);
    expect(replies.map((m) => m.text).join('\n')).toMatch(/âge/i);
    expect(replies.filter((m) => /âge/i.test(m.text))).toHaveLength(1);
    expect(
      fake.messages(user.chatId).find((m) => m.message_id === message.message_id)?.reply_markup,
    ).toBeUndefined();
  });

  it('takes two options of a multi-select tapped one right after the other, and a double tap of one once', async () => {
    const user = newUser();
    await playLea(user, 'sectors');
    const numerique = user.button('Numérique');
    const commerce = user.button('Commerce');
    const taps = [numerique, numerique, commerce].map((b) =>
      fake.callbackQuery(user.chatId, b.message.message_id, b.data),
    );
    for (const tap of taps) await postUpdate(app.url, tap);
    for (const tap of taps) await processed(conn(), tap.update_id);

    const toasts = taps.map((u) => fake.queries.get(u.callback_query?.id ?? '')?.text);
    // Whichever of the two taps on "Numérique" is taken first (they are read at once), the other is
    // told so; "Commerce" is taken.
    expect(toasts.slice(0, 2).sort()).toEqual(['Déjà pris en compte.', undefined]);
    expect(toasts[2]).toBeUndefined();
    expect(fake.lastMessage(user.chatId)?.text).toMatch(/Votre sélection : Numérique, Commerce\./);
    await user.press("C'est tout");
    await playLea(user, 'end', 'commune');
    const { person } = await personOfChat(user.chatId);
    expect(person?.profile?.sectors).toEqual(['digital', 'commerce']);
  });

  it('takes other options of a multi-select tapped on the first message after the question came back, twice', async () => {
    const user = newUser();
    await playLea(user, 'sectors');
    const first = user.button('Numérique');
    const second = user.button('Commerce');
    const third = user.button('Santé et social');
    await user.deliver(fake.callbackQuery(user.chatId, first.message.message_id, first.data));
    // Tapped before Telegram took the first message's buttons off: the question has come back since.
    const replies = await user.deliver(
      fake.callbackQuery(user.chatId, second.message.message_id, second.data),
    );
    expect(replies.map((m) => m.text).join('\n')).toMatch(/Votre sélection : Numérique, Commerce\./);
    // And once more: the question has come back twice.
    const last = fake.callbackQuery(user.chatId, third.message.message_id, third.data);
    await user.deliver(last);
    expect(fake.queries.get(last.callback_query?.id ?? '')?.text).toBeUndefined();
    await playLea(user, 'end', 'commune');
    const { person } = await personOfChat(user.chatId);
    expect(person?.profile?.sectors).toEqual(['digital', 'commerce', 'health']);
  });

  it('takes an option of a multi-select tapped on its message after an answer typed meanwhile', async () => {
    const user = newUser();
    await playLea(user, 'sectors');
    const late = user.button('Commerce');
    const later = user.button('Santé et social');
    await user.say('numérique');
    // The question has come back with the typed answer; the first message's buttons were still there.
    const replies = await user.deliver(fake.callbackQuery(user.chatId, late.message.message_id, late.data));
    expect(replies.map((m) => m.text).join('\n')).toMatch(/Votre sélection : Numérique, Commerce\./);
    // Once the question has passed, such a tap is told so, and changes nothing.
    await user.press("C'est tout");
    const passed = await user.deliver(fake.callbackQuery(user.chatId, later.message.message_id, later.data));
    expect(passed.map((m) => m.text).join('\n')).toMatch(/question précédente/);
    await playLea(user, 'end', 'commune');
    const { person } = await personOfChat(user.chatId);
    expect(person?.profile?.sectors).toEqual(['digital', 'commerce']);
  });

  it('takes a single choice once: another of its buttons tapped right after is told so', async () => {
    const user = newUser();
    await playLea(user, 'age');
    const taps = ['26 à 35 ans', '18 à 25 ans'].map((title) => {
      const b = user.button(title);
      return fake.callbackQuery(user.chatId, b.message.message_id, b.data);
    });
    const before = fake.messages(user.chatId).length;
    for (const tap of taps) await postUpdate(app.url, tap);
    for (const tap of taps) await processed(conn(), tap.update_id);
    const toasts = taps.map((u) => fake.queries.get(u.callback_query?.id ?? '')?.text);
    // One of them (they are read at once), the other told so.
    expect(toasts.sort()).toEqual(['Déjà pris en compte.', undefined]);
    const said = fake.messages(user.chatId).slice(before);
    expect(said.map((m) => m.text).join('\n')).not.toMatch(/question précédente/);
    expect(said.filter((m) => /prénom/i.test(m.text))).toHaveLength(1);
  });

  it("keeps a chat's order: a press, then a message sent right after it", async () => {
    const user = newUser();
    await playLea(user, 'age');
    const { message, data } = user.button('26 à 35 ans');
    const press = fake.callbackQuery(user.chatId, message.message_id, data);
    const typed = fake.message(user.chatId, 'Léa');
    const before = fake.messages(user.chatId).length;
    await postUpdate(app.url, press);
    await postUpdate(app.url, typed);
    await processed(conn(), press.update_id);
    await processed(conn(), typed.update_id);
    const said = fake
      .messages(user.chatId)
      .slice(before)
      .map((m) => m.text)
      .join('\n');
    expect(said).not.toMatch(/pas bien compris|lettres/);
    expect(said).toMatch(/situation/i);
  });

  it('answers a press on an earlier question as stale and changes nothing', async () => {
    const user = newUser();
    await user.say('Bonjour');
    const consent = user.button("J'accepte");
    await user.say("j'accepte");
    // The typed answer moved on: the consent keyboard is gone, a press on it is stale.
    const stale = fake.callbackQuery(user.chatId, consent.message.message_id, consent.data);
    const before = fake.messages(user.chatId).length;
    await postUpdate(app.url, stale);
    await processed(conn(), stale.update_id);
    expect(fake.queries.get(stale.callback_query?.id ?? '')?.text).toBe('Cette question est déjà passée.');
    expect(fake.messages(user.chatId).length).toBe(before);
    const { person } = await personOfChat(user.chatId);
    expect(person?.consents?.data_processing?.decision).toBe('accepted');
  });

  it('says it only reads text when sent a photo, a sticker, a voice note, a location or a document, then asks again', async () => {
    const user = newUser();
    await user.say('Bonjour');
    for (const name of ['photo', 'sticker', 'voice', 'location', 'document'] as const) {
      const update = telegramFixture(name, { updateId: fake.nextUpdateId(), chatId: user.chatId });
      const replies = await user.deliver(update);
      const said = replies.map((m) => m.text).join('\n');
      expect(said, name).toMatch(/je ne comprends que le texte/i);
      expect(said, name).toMatch(/accepte/i);
    }
  });

  it('answers a 5,000-character message kindly and keeps the question', async () => {
    const user = newUser();
    await playLea(user, 'expectations');
    const replies = await user.say('x'.repeat(5000));
    expect(replies.map((m) => m.text).join('\n')).toMatch(/5\s?000 caractères, la limite est de 500/);
    const ok = await user.say('Préparer mes entretiens.');
    expect(ok.map((m) => m.text).join('\n')).toMatch(/Préparer mes entretiens/);
  });

  it('escapes HTML: an injection attempt is shown as typed and never breaks the message', async () => {
    const user = newUser();
    await playLea(user, 'expectations');
    const attempt = '<script>alert("x")</script> <b>gras</b> & <a href="http://evil">lien</a>';
    const summary = await user.say(attempt);
    const shown = summary.find((m) => m.text.includes('<script>'));
    expect(shown, user.transcript()).toBeDefined();
    expect(shown?.html).toContain('&lt;script&gt;');
    expect(shown?.entities.filter((e) => e.type === 'bold' || e.type === 'text_link')).toEqual([]);
    expect(fake.callsOf('sendMessage').filter((c) => c.status !== 200 && c.status !== 429)).toEqual([]);
  });

  it('splits a message longer than 4,096 characters at line boundaries', async () => {
    const chat = String(nextChat++);
    const long = Array.from({ length: 120 }, (_, i) => `Ligne ${i} : ${'é'.repeat(40)} & <suite>`).join('\n');
    await app.bot.adapter
      .channel('telegram')
      .send({ conversation: { id: chat } as never, user: { id: chat } as never }, [
        { type: 'message', text: long },
      ]);
    const parts = fake.messages(chat);
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.every((m) => m.text.length <= 4096)).toBe(true);
    expect(parts.map((m) => m.text).join('\n')).toBe(long);
    expect(parts.every((m) => /\d/.test(m.text.slice(-1)) || m.text.endsWith('<suite>'))).toBe(true);
  });
});

describe('Telegram: delivery', () => {
  beforeEach(() => fake.reset());

  it('refuses a wrong or missing secret with 401, and stores nothing', async () => {
    const update = fake.message(nextChat++, 'Bonjour');
    const count = () => telegramUpdateModel(conn()).countDocuments({ _id: update.update_id });
    expect((await postUpdate(app.url, update, 'wrong-secret-0123456789')).status).toBe(401);
    expect((await postUpdate(app.url, update, null)).status).toBe(401);
    expect(await count()).toBe(0);
    expect(await identityModel(conn()).countDocuments({ _id: `telegram|${update.message?.chat.id}` })).toBe(
      0,
    );
    expect(fake.callsOf('sendMessage')).toEqual([]);
  });

  it('processes an update delivered twice once, in turn and at the same moment', async () => {
    const user = newUser();
    const once = fake.message(user.chatId, 'Bonjour');
    expect((await postUpdate(app.url, once)).status).toBe(200);
    expect((await postUpdate(app.url, once)).status).toBe(200);
    await processed(conn(), once.update_id);
    const welcomes = () => fake.messages(user.chatId).filter((m) => /Tandem/.test(m.text)).length;
    await new Promise((r) => setTimeout(r, 200));
    const afterOne = fake.messages(user.chatId).length;
    expect(welcomes()).toBeGreaterThan(0);
    // As many messages as one delivery brings: a second turn would have added a re-ask.
    const single = newUser();
    await single.say('Bonjour');
    expect(afterOne).toBe(fake.messages(single.chatId).length);

    const twin = fake.message(user.chatId, "j'accepte");
    const statuses = await Promise.all([postUpdate(app.url, twin), postUpdate(app.url, twin)]);
    expect(statuses.map((r) => r.status)).toEqual([200, 200]);
    await processed(conn(), twin.update_id);
    await new Promise((r) => setTimeout(r, 200));
    const replies = fake.messages(user.chatId).slice(afterOne);
    expect(replies.filter((m) => /âge/i.test(m.text))).toHaveLength(1);
  });

  it('acknowledges a webhook update in well under a second, before the turn is done', async () => {
    const user = newUser();
    const started = Date.now();
    const update = fake.message(user.chatId, 'Bonjour');
    const res = await postUpdate(app.url, update);
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(1000);
    await processed(conn(), update.update_id);
  });

  it('retries a 429 after retry_after, then delivers', async () => {
    const user = newUser();
    fake.failNext('sendMessage', 1, {
      error_code: 429,
      description: 'Too Many Requests: retry after 1',
      retry_after: 1,
    });
    const replies = await user.say('Bonjour');
    expect(replies.length).toBeGreaterThan(0);
    const tries = fake.callsOf('sendMessage').filter((c) => c.chatId === String(user.chatId));
    expect(tries[0]?.status).toBe(429);
    expect(tries[1]?.status).toBe(200);
    expect((tries[1]?.at ?? 0) - (tries[0]?.at ?? 0)).toBeGreaterThanOrEqual(950);
  });

  it('marks a person who blocked the bot unreachable, without retrying', async () => {
    const user = newUser();
    await user.say('Bonjour');
    fake.block(user.chatId);
    const sentBefore = fake.calls.length;
    const update = fake.message(user.chatId, "j'accepte");
    await postUpdate(app.url, update);
    await processed(conn(), update.update_id);
    const { identity, person } = await personOfChat(user.chatId);
    expect(identity.unreachable).toBe(true);
    const sendsSinceBlock = () =>
      fake.calls
        .slice(sentBefore)
        .filter((c) => c.method === 'sendMessage' && c.chatId === String(user.chatId));
    const blocked = sendsSinceBlock();
    expect(blocked.map((c) => c.status)).toEqual([403]);
    // The answer itself was kept; the bot no longer tries to write there.
    expect(person?.consents?.data_processing?.decision).toBe('accepted');
    expect(await app.bot.proactive.send(identity.personId, [{ type: 'message', text: 'Coucou' }])).toBe(
      'unreachable',
    );
    expect(sendsSinceBlock()).toEqual(blocked);
  });

  it('welcomes a person without a username or last name, from a real payload', async () => {
    const chatId = nextChat++;
    const user = new TelegramUser(fake, app.url, conn(), chatId);
    for (const name of ['no_username', 'message'] as const) {
      const update = telegramFixture(name, { updateId: fake.nextUpdateId(), chatId });
      const replies = await user.deliver(update);
      expect(replies.length, name).toBeGreaterThan(0);
    }
    expect(fake.messages(chatId)[0]?.text).toMatch(/Tandem/);
    expect((await personOfChat(chatId)).person?.status).toBe('onboarding');
  });

  it('answers a press it cannot read (a real payload with foreign data) and does nothing else', async () => {
    const chatId = nextChat++;
    const update = telegramFixture('callback_query', { updateId: fake.nextUpdateId(), chatId });
    expect((await postUpdate(app.url, update)).status).toBe(200);
    await processed(conn(), update.update_id);
    const answers = fake.callsOf('answerCallbackQuery');
    expect(answers.map((c) => c.params.callback_query_id)).toContain(update.callback_query?.id);
    expect(fake.callsOf('sendMessage')).toEqual([]);
  });

  it('shows typing as a chat action', async () => {
    const chat = String(nextChat++);
    await app.bot.adapter
      .channel('telegram')
      .send({ conversation: { id: chat } as never, user: { id: chat } as never }, [{ type: 'typing' }]);
    expect(fake.callsOf('sendChatAction').map((c) => [c.chatId, c.params.action])).toEqual([
      [chat, 'typing'],
    ]);
  });

  it('ignores group chats and edited messages', async () => {
    const group = telegramFixture('group_message', { updateId: fake.nextUpdateId() });
    const edited = telegramFixture('edited_message', { updateId: fake.nextUpdateId(), chatId: nextChat++ });
    for (const update of [group, edited]) {
      expect((await postUpdate(app.url, update)).status).toBe(200);
      await processed(conn(), update.update_id);
    }
    expect(fake.callsOf('sendMessage')).toEqual([]);
  });
});

describe('Telegram: deep links', () => {
  it('records the programme of a /start link, and welcomes a person whose link makes no sense', async () => {
    const user = newUser();
    const update = fake.message(user.chatId, '/start p-reseau_entreprendre');
    const replies = await user.deliver(update);
    expect(replies.map((m) => m.text).join('\n')).toMatch(/Tandem/);
    expect((await personOfChat(user.chatId)).person?.programme).toBe('reseau_entreprendre');

    const other = newUser();
    const odd = telegramFixture('start_payload', { updateId: fake.nextUpdateId(), chatId: other.chatId });
    const welcome = await other.deliver(odd);
    expect(welcome.map((m) => m.text).join('\n')).toMatch(/Tandem/);
    expect((await personOfChat(other.chatId)).person?.programme).toBeUndefined();
  });
});

/** A person in the web chat, through the Direct Line HTTP API. */
async function webUser() {
  const dl = `${app.url}/v3/directline`;
  const started = (await (await fetch(`${app.url}/webchat/token`, { method: 'POST' })).json()) as {
    conversationId: string;
    token: string;
    handoff: string[];
  };
  const auth = { Authorization: `Bearer ${started.token}`, 'Content-Type': 'application/json' };
  let watermark = '0';
  type Act = {
    from: { id: string };
    text?: string;
    replyToId?: string;
    suggestedActions?: { actions: Array<{ title: string; value: unknown }> };
  };
  let last: Act[] = [];
  const post = async (body: object) => {
    const res = await fetch(`${dl}/conversations/${started.conversationId}/activities`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ type: 'message', from: { id: 'ignored' }, ...body }),
    });
    const { id } = (await res.json()) as { id: string };
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const r = (await (
        await fetch(`${dl}/conversations/${started.conversationId}/activities?watermark=${watermark}`, {
          headers: auth,
        })
      ).json()) as { activities: Act[]; watermark: string };
      const replies = r.activities.filter((a) => a.replyToId === id);
      if (replies.length > 0) {
        watermark = r.watermark;
        last = replies;
        return replies;
      }
      await new Promise((res) => setTimeout(res, 30));
    }
    throw new Error('no web chat reply');
  };
  return {
    started,
    say: (text: string) => post({ text }),
    press: (title: string) => {
      const action = last.flatMap((a) => a.suggestedActions?.actions ?? []).find((a) => a.title === title);
      if (!action) throw new Error(`no button ${title}`);
      return post({ text: title, value: action.value });
    },
    handoff: async (channel = 'telegram') => {
      const res = await fetch(`${app.url}/webchat/handoff/${channel}`, { method: 'POST', headers: auth });
      return { status: res.status, body: (await res.json()) as { url: string; expires_in: number } };
    },
  };
}

describe('One person, several channels', () => {
  it('goes on in Telegram at the same step with a one-time link from the web chat; the link works once and for 15 minutes', async () => {
    const web = await webUser();
    expect(web.started.handoff).toEqual(['telegram']);
    await web.say('Bonjour');
    await web.press("J'accepte");
    await web.press('26 à 35 ans');
    await web.say('Léa');
    const link = await web.handoff();
    expect(link.status).toBe(200);
    expect(link.body.expires_in).toBe(900);
    const code = /^https:\/\/t\.me\/TandemHubBot\?start=(l-[A-Za-z0-9_-]+)$/.exec(link.body.url)?.[1] ?? '';
    expect(code.length).toBeGreaterThan(2);
    expect(code.length).toBeLessThanOrEqual(64);

    const tg = newUser();
    const arrived = (await tg.say(`/start ${code}`)).map((m) => m.text).join('\n');
    expect(arrived).toMatch(/Vous voilà sur Telegram/);
    expect(arrived).toMatch(/situation/i);
    const next = await tg.say("demandeuse d'emploi");
    expect(next.map((m) => m.text).join('\n')).toMatch(/objectif/i);
    for (const [, input] of LEA.slice(stepIndex(LEA, 'goal'))) {
      await (typeof input === 'string' ? tg.say(input) : tg.press(input.press));
    }

    const webIdentity = await identityModel(conn())
      .findOne({ channel: 'webchat' })
      .sort({ lastSeenAt: -1 })
      .lean();
    const { identity, person } = await personOfChat(tg.chatId);
    // Answers given on the web and on Telegram make one profile.
    expect(person?.profile).toEqual(LEA_PROFILE);
    expect(person?.status).toBe('active');
    expect(person?.lastChannel).toBe('telegram');
    expect((await app.bot.services.people.reachable(identity.personId))?.channel).toBe('telegram');
    expect(webIdentity).toBeDefined();

    // Later messages from the bot go to Telegram, the channel used last; none after "stop".
    const before = fake.messages(tg.chatId).length;
    const news = [{ type: 'message', text: 'Une nouvelle pour vous.' }];
    expect(await app.bot.proactive.send(identity.personId, news)).toBe('sent');
    expect(
      fake
        .messages(tg.chatId)
        .slice(before)
        .map((m) => m.text),
    ).toEqual(['Une nouvelle pour vous.']);
    await tg.say('stop');
    const afterStop = fake.messages(tg.chatId).length;
    expect(await app.bot.proactive.send(identity.personId, news)).toBe('stopped');
    expect(fake.messages(tg.chatId).length).toBe(afterStop);
    await tg.say('reprendre');

    // The same chat pressing Start again is no error; another chat is told the link has served.
    const again = (await tg.say(`/start ${code}`)).map((m) => m.text).join('\n');
    expect(again).not.toMatch(/déjà servi/);
    const other = newUser();
    const reused = (await other.say(`/start ${code}`)).map((m) => m.text).join('\n');
    expect(reused).toMatch(/Ce lien a déjà servi/);
    expect((await personOfChat(other.chatId)).identity.personId).not.toBe(identity.personId);
  });

  it('does not take over a Telegram account that has its own profile; the link stays usable', async () => {
    const tg = newUser();
    await tg.say('Bonjour');
    await tg.press("J'accepte");
    const mine = (await personOfChat(tg.chatId)).identity.personId;
    const web = await webUser();
    await web.say('Bonjour');
    const code = (await web.handoff()).body.url.split('start=')[1] ?? '';
    const said = (await tg.say(`/start ${code}`)).map((m) => m.text).join('\n');
    expect(said).toMatch(/déjà son propre profil/);
    expect((await personOfChat(tg.chatId)).identity.personId).toBe(mine);
    const fresh = newUser();
    expect((await fresh.say(`/start ${code}`)).map((m) => m.text).join('\n')).toMatch(
      /Vous voilà sur Telegram/,
    );
  });

  it('refuses an expired link kindly and starts afresh', async () => {
    const web = await webUser();
    await web.say('Bonjour');
    const link = await web.handoff();
    const code = link.body.url.split('start=')[1] ?? '';
    await linkCodeModel(conn()).updateOne(
      { _id: code.slice(2) },
      { $set: { expiresAt: new Date(Date.now() - 1000) } },
    );
    const tg = newUser();
    const said = (await tg.say(`/start ${code}`)).map((m) => m.text).join('\n');
    expect(said).toMatch(/n'est plus valable/);
    expect(said).toMatch(/Tandem/);
  });

  it('gives a link only to a valid token of a started conversation', async () => {
    const res = await fetch(`${app.url}/webchat/handoff/telegram`, {
      method: 'POST',
      headers: { Authorization: 'Bearer forged.token' },
    });
    expect(res.status).toBe(403);
    const web = await webUser();
    expect((await web.handoff()).status).toBe(409);
    expect((await web.handoff('slack')).status).toBe(404);
  });
});
