import { setTimeout as sleep } from 'node:timers/promises';
import type { ConversationReference } from 'botbuilder';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { App } from '../../bot/app.js';
import { text, withButtons } from '../../bot/engine/reply.js';
import { PartlySentError } from '../../bot/errors.js';
import { inboundMarkModel } from '../../models/inbound-mark.js';
import { keyboardModel } from '../../models/keyboard.js';
import { telegramUpdateModel } from '../../models/telegram.js';
import { holdTurns, startTestApp } from '../helpers/app.js';
import { type FakeTelegram, startFakeTelegram } from '../helpers/fake-telegram.js';
import { postUpdate, processed, TelegramUser, telegramEnv } from '../helpers/telegram-user.js';

let fake: FakeTelegram;
/** Webhook mode. */
let app: App;
/** Long polling, on its own fake Bot API. */
let polling: { fake: FakeTelegram; app: App };

beforeAll(async () => {
  fake = await startFakeTelegram({ perChatRate: 50 });
  // Telegram cannot reach the webhook's host when the app starts (a DNS change not yet seen).
  fake.failNext('setWebhook', 1, {
    error_code: 400,
    description: 'Bad Request: bad webhook: Failed to resolve host: Name or service not known',
  });
  app = await startTestApp({ ...telegramEnv(fake), TELEGRAM_MAX_PER_CHAT_PER_S: '50' });
  const pollFake = await startFakeTelegram({ perChatRate: 50 });
  polling = {
    fake: pollFake,
    app: await startTestApp({
      TELEGRAM_BOT_TOKEN: pollFake.token,
      TELEGRAM_API_ROOT: pollFake.url,
      TELEGRAM_MAX_PER_CHAT_PER_S: '50',
    }),
  };
});
afterAll(async () => {
  await polling.app.stop();
  await Promise.all([fake.close(), polling.fake.close()]);
});

/** Recovers the one update left pending, and waits for the question it answers to be followed by the next. */
async function recoveredToAge(user: TelegramUser): Promise<void> {
  expect(await app.telegram?.recover(0)).toBe(1);
  await fake.waitFor(
    () => fake.messages(user.chatId).some((m) => /Quelle est votre tranche d'âge/.test(m.text)),
    10_000,
  );
}

describe('Telegram: when recording an update fails', () => {
  it('answers the webhook 500 for a press, without stopping, and takes it when Telegram sends it again', async () => {
    const user = new TelegramUser(fake, app.url, app.db.connection, 730_000_001, { language_code: 'fr' });
    await user.say('Bonjour');
    const { message, data } = user.button("J'accepte");
    const press = fake.callbackQuery(user.chatId, message.message_id, data);
    const record = vi
      .spyOn(app.telegram?.store ?? ({} as never), 'record')
      .mockRejectedValueOnce(new Error('database unreachable'));
    try {
      expect((await postUpdate(app.url, press)).status).toBe(500);
      // The press's own promise failed too: it must not be left unhandled (vitest fails the run).
      await sleep(200);
    } finally {
      record.mockRestore();
    }
    const replies = await user.deliver(press);
    expect(replies.map((m) => m.text).join('\n')).toMatch(/Quelle est votre tranche d'âge/);
    expect(fake.queries.get(press.callback_query?.id ?? '')?.answeredAt).toBeDefined();
  });

  it('tries again when polling, rather than losing an update getUpdates has confirmed', async () => {
    const chat = 730_000_002;
    const record = vi
      .spyOn(polling.app.telegram?.store ?? ({} as never), 'record')
      .mockRejectedValueOnce(new Error('database unreachable'));
    try {
      polling.fake.pushUpdate(polling.fake.message(chat, 'Bonjour'));
      await polling.fake.waitFor(
        () => polling.fake.messages(chat).some((m) => /Tandem/.test(m.text)),
        10_000,
      );
      expect(record).toHaveBeenCalledTimes(2);
    } finally {
      record.mockRestore();
    }
  });
});

/** A new person at the consent question, the press of its "J'accepte" (not posted yet), and the keyboards it reads. */
async function consentPress(chatId: number) {
  const user = new TelegramUser(fake, app.url, app.db.connection, chatId, { language_code: 'fr' });
  await user.say('Bonjour');
  const { message, data } = user.button("J'accepte");
  const press = fake.callbackQuery(user.chatId, message.message_id, data);
  return { user, press, keyboards: app.telegram?.store.keyboards ?? ({} as never) };
}

describe('Telegram: a press whose keyboard cannot be read', () => {
  it('stops the spinner at once, and takes the press when the update is recovered', async () => {
    const { user, press, keyboards } = await consentPress(730_000_008);
    const read = vi.spyOn(keyboards, 'press').mockRejectedValueOnce(new Error('database unreachable'));
    try {
      expect((await postUpdate(app.url, press)).status).toBe(200);
      await vi.waitFor(() =>
        expect(fake.queries.get(press.callback_query?.id ?? '')?.answeredAt).toBeDefined(),
      );
    } finally {
      read.mockRestore();
    }
    // Recorded, not done: the recovery of the next minute takes it.
    await recoveredToAge(user);
  });

  it('tries again, in a later round, a recovery that failed', async () => {
    const { user, press, keyboards } = await consentPress(730_000_012);
    const down = new Error('database unreachable');
    // When it arrives, and when it is first recovered: the database is away.
    const read = vi.spyOn(keyboards, 'press').mockRejectedValueOnce(down).mockRejectedValueOnce(down);
    try {
      expect((await postUpdate(app.url, press)).status).toBe(200);
      await vi.waitFor(() => expect(read).toHaveBeenCalledTimes(1));
      expect(await app.telegram?.recover(0)).toBe(0);
      expect(read).toHaveBeenCalledTimes(2);
    } finally {
      read.mockRestore();
    }
    // A round later, it is back.
    const clock = vi.spyOn(Date, 'now').mockReturnValue(Date.now() + 61_000);
    try {
      await recoveredToAge(user);
    } finally {
      clock.mockRestore();
    }
  });

  it('takes a press that failed half-way, once taken, when its update is recovered', async () => {
    const user = new TelegramUser(fake, app.url, app.db.connection, 730_000_009, { language_code: 'fr' });
    await user.say('Bonjour');
    const { message, data } = user.button("J'accepte");
    const press = fake.callbackQuery(user.chatId, message.message_id, data);
    // The press is taken, then closing its keyboard fails (the database, a moment).
    const keyboards = (app.telegram?.store.keyboards ?? {}) as unknown as { close(): Promise<void> };
    const close = vi.spyOn(keyboards, 'close').mockRejectedValueOnce(new Error('database unreachable'));
    try {
      expect((await postUpdate(app.url, press)).status).toBe(200);
      await vi.waitFor(() => expect(close).toHaveBeenCalledTimes(1));
      await sleep(100);
    } finally {
      close.mockRestore();
    }
    // Its retry is the same press, not a second one: it answers the question.
    await recoveredToAge(user);
    expect(fake.queries.get(press.callback_query?.id ?? '')?.text).toBeUndefined();
  });
});

describe('Telegram: a press whose process died half-way', () => {
  it('is taken when its update is recovered, whether its keyboard was closed or not', async () => {
    for (const [i, closed] of [false, true].entries()) {
      const user = new TelegramUser(fake, app.url, app.db.connection, 730_000_010 + i, {
        language_code: 'fr',
      });
      await user.say('Bonjour');
      const { message, data } = user.button("J'accepte");
      const press = fake.callbackQuery(user.chatId, message.message_id, data);
      // As a process left it: the update recorded, the press claimed for it, the keyboard closed
      // or not yet; then it died.
      const key = data.split(':')[0];
      await telegramUpdateModel(app.db.connection).collection.insertOne({
        _id: press.update_id as never,
        chat: String(user.chatId),
        state: 'pending',
        raw: JSON.stringify(press),
        at: new Date(Date.now() - 120_000),
      });
      await inboundMarkModel(app.db.connection).collection.insertOne({
        _id: `telegram|press|${user.chatId}|${key}` as never,
        at: new Date(),
        by: String(press.update_id),
      });
      if (closed)
        await keyboardModel(app.db.connection).updateOne(
          { _id: `telegram|${user.chatId}` },
          { $set: { key: `closed:${key}` } },
        );
      expect(await app.telegram?.recover(0)).toBe(1);
      await processed(app.db.connection, press.update_id);
      const asked = fake.messages(user.chatId).filter((m) => /Quelle est votre tranche d'âge/.test(m.text));
      expect(asked, `keyboard closed: ${closed}`).toHaveLength(1);
    }
  });
});

describe('Telegram: start and recovery', () => {
  it('tells Telegram the webhook again until it accepts it', async () => {
    await fake.waitFor(() => fake.webhook.url === 'https://tandem.example.org/telegram/webhook', 10_000);
    expect(fake.callsOf('setWebhook').length).toBe(2);
  });

  it('leaves an update still being processed to its turn, however long it takes', async () => {
    const user = new TelegramUser(fake, app.url, app.db.connection, 730_000_005, { language_code: 'fr' });
    // A long turn: a queue behind a flood wait, say.
    const { turns, release, restore } = holdTurns(app);
    try {
      const hello = fake.message(user.chatId, 'Bonjour');
      expect((await postUpdate(app.url, hello)).status).toBe(200);
      await vi.waitFor(() => expect(turns).toHaveBeenCalledTimes(1));
      // The recovery of another minute finds it pending, and leaves it alone.
      expect(await app.telegram?.recover(0)).toBe(0);
      release();
      await fake.waitFor(() => fake.messages(user.chatId).some((m) => /Tandem/.test(m.text)), 10_000);
      expect(turns).toHaveBeenCalledTimes(1);
    } finally {
      restore();
    }
  });
});

describe('Telegram: replies the channel refuses', () => {
  it('sends them again once the answer is saved, rather than ask the person to try again', async () => {
    const user = new TelegramUser(fake, app.url, app.db.connection, 730_000_006, { language_code: 'fr' });
    await user.say('Bonjour');
    // A flood wait longer than the client waits: the turn's replies fail after its state is saved.
    fake.failNext('sendMessage', 1, {
      error_code: 429,
      description: 'Too Many Requests: retry after 45',
      retry_after: 45,
    });
    await user.press("J'accepte");
    // (The consent's text names the age bracket too: wait for the question itself.)
    await fake.waitFor(
      () => fake.messages(user.chatId).some((m) => /Quelle est votre tranche d'âge/.test(m.text)),
      10_000,
    );
    const said = fake.messages(user.chatId).map((m) => m.text);
    expect(said.join('\n')).not.toMatch(/souci technique/);
    // The consent was taken once: the age question is the next one, asked once.
    expect(said.filter((t) => /Quelle est votre tranche d'âge/.test(t))).toHaveLength(1);
  });
});

describe('Telegram: replies the channel refuses half-way', () => {
  it('sends only those not sent, each once', async () => {
    const user = new TelegramUser(fake, app.url, app.db.connection, 730_000_007, { language_code: 'fr' });
    // The welcome's first message goes; the next meets a flood wait longer than the client waits.
    fake.failNext(
      'sendMessage',
      1,
      { error_code: 429, description: 'Too Many Requests: retry after 45', retry_after: 45 },
      { after: 1 },
    );
    await user.say('Bonjour');
    await fake.waitFor(() => fake.messages(user.chatId).some((m) => m.reply_markup), 10_000);
    const said = fake.messages(user.chatId).map((m) => m.text);
    expect(said.length).toBeGreaterThanOrEqual(2);
    expect(new Set(said).size, said.join('\n---\n')).toBe(said.length);
  });

  it('takes the buttons off a question sent before the failure once the next question comes', async () => {
    const user = new TelegramUser(fake, app.url, app.db.connection, 730_000_013, { language_code: 'fr' });
    await user.say('Bonjour');
    const outbound = app.telegram?.outbound;
    if (!outbound) throw new Error('no Telegram channel');
    const ref = {
      conversation: { id: String(user.chatId) },
      user: { id: String(user.chatId), name: '' },
    } as Partial<ConversationReference>;
    const first = withButtons('Quel jour vous convient ?', 'test.day', [
      { title: 'Lundi', value: 'lundi' },
      { title: 'Mardi', value: 'mardi' },
    ]);
    // The question goes; the text after it fails: the send is cut after its first activity.
    fake.failNext(
      'sendMessage',
      1,
      { error_code: 400, description: 'Bad Request: chat not found' },
      { after: 1 },
    );
    const failed = await outbound.send(ref, [first, text('À bientôt.')]).catch((err: unknown) => err);
    expect(failed).toBeInstanceOf(PartlySentError);
    const asked = fake.lastMessage(user.chatId);
    expect(asked?.text).toBe('Quel jour vous convient ?');
    expect(asked?.reply_markup).toBeDefined();
    await outbound.send(ref, [withButtons('Et quelle heure ?', 'test.hour', [{ title: '9 h', value: '9' }])]);
    expect(
      fake.messages(user.chatId).find((m) => m.message_id === asked?.message_id)?.reply_markup,
    ).toBeUndefined();
  });
});

describe('Telegram: updates that say nothing', () => {
  it('ignores service messages (a pin, an auto-delete timer) instead of saying it reads only text', async () => {
    const user = new TelegramUser(fake, app.url, app.db.connection, 730_000_003, { language_code: 'fr' });
    await user.say('Bonjour');
    const pin = fake.message(user.chatId, '');
    const message = pin.message as Record<string, unknown>;
    delete message.text;
    delete message.entities;
    message.pinned_message = { message_id: 1, date: message.date, chat: message.chat, text: 'Bienvenue' };
    expect(await user.deliver(pin)).toEqual([]);
    // A photo still is answered.
    const photo = fake.message(user.chatId, '');
    const shot = photo.message as Record<string, unknown>;
    delete shot.text;
    delete shot.entities;
    shot.photo = [{ file_id: 'AgAD', file_unique_id: 'AQAD', width: 90, height: 90 }];
    expect((await user.deliver(photo)).map((m) => m.text).join('\n')).toMatch(/texte/);
  });

  it('answers a stale press in the person’s language, not their Telegram app’s', async () => {
    const user = new TelegramUser(fake, app.url, app.db.connection, 730_000_004, { language_code: 'fr' });
    await user.say('Bonjour');
    const { message, data } = user.button("J'accepte");
    await user.press("J'accepte");
    // The same person, their Telegram now in English, presses the old button again.
    const again = fake.callbackQuery(user.chatId, message.message_id, data, { language_code: 'en' });
    await user.deliver(again);
    expect(fake.queries.get(again.callback_query?.id ?? '')?.text).toMatch(
      /^(Déjà pris en compte|Cette question)/,
    );
  });
});
