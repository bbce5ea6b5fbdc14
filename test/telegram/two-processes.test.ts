import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../bot/app.js';
import { telegramUpdateModel } from '../../models/telegram.js';
import { startTestApp } from '../helpers/app.js';
import { freshDbUri } from '../helpers/db.js';
import { type FakeTelegram, startFakeTelegram } from '../helpers/fake-telegram.js';
import { postUpdate, processed, telegramEnv } from '../helpers/telegram-user.js';

let fake: FakeTelegram;
let one: App;
let two: App;

// Two app instances (as two processes behind a load balancer) on one database.
beforeAll(async () => {
  fake = await startFakeTelegram({ perChatRate: 50 });
  const dbUri = freshDbUri('tg2');
  const env = { ...telegramEnv(fake), TELEGRAM_MAX_PER_CHAT_PER_S: '50' };
  one = await startTestApp(env, { dbUri });
  two = await startTestApp(env, { dbUri });
});
afterAll(async () => {
  await one.db.connection.dropDatabase().catch(() => {});
  await fake.close();
});

describe('Telegram on two processes', () => {
  it('processes an update that reaches both at the same moment once', async () => {
    for (let round = 0; round < 5; round++) {
      const chat = 900_000_000 + round;
      const update = fake.message(chat, 'Bonjour');
      const answers = await Promise.all([postUpdate(one.url, update), postUpdate(two.url, update)]);
      expect(answers.map((r) => r.status)).toEqual([200, 200]);
      await processed(one.db.connection, update.update_id);
      await new Promise((r) => setTimeout(r, 150));
      const welcomes = fake.messages(chat).filter((m) => /Tandem/.test(m.text));
      expect(welcomes, `round ${round}`).toHaveLength(1);
    }
  });

  it('processes, after a restart, an update recorded but never processed, and only once', async () => {
    const chat = 910_000_000;
    const update = fake.message(chat, 'Bonjour');
    // As if a process had recorded and acknowledged it, then died before processing it.
    await telegramUpdateModel(one.db.connection).collection.insertOne({
      _id: update.update_id as never,
      chat: String(chat),
      state: 'pending',
      raw: JSON.stringify(update),
      at: new Date(Date.now() - 120_000),
    });
    const recovered = await Promise.all([one.telegram?.recover(), two.telegram?.recover()]);
    expect((recovered[0] ?? 0) + (recovered[1] ?? 0)).toBe(1);
    await processed(one.db.connection, update.update_id);
    expect(fake.messages(chat).filter((m) => /Tandem/.test(m.text))).toHaveLength(1);
    // Telegram delivering it again changes nothing.
    expect((await postUpdate(two.url, update)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 150));
    expect(fake.messages(chat).filter((m) => /Tandem/.test(m.text))).toHaveLength(1);
  });
});
