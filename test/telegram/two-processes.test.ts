import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { App } from '../../bot/app.js';
import { inboundMarkModel } from '../../models/inbound-mark.js';
import { telegramUpdateModel } from '../../models/telegram.js';
import { holdTurns, startTestApp } from '../helpers/app.js';
import { freshDbUri } from '../helpers/db.js';
import { type FakeTelegram, startFakeTelegram } from '../helpers/fake-telegram.js';
import { LEA, stepIndex } from '../helpers/journey.js';
import { postUpdate, processed, TelegramUser, telegramEnv } from '../helpers/telegram-user.js';

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

/**
 * Posts `update` to the first process, whose turns are held (`turns`, see holdTurns), ages it by
 * two minutes (a long wait there), and has the first process say it still has it.
 */
async function heldForTwoMinutes(
  update: { update_id: number },
  turns: ReturnType<typeof holdTurns>['turns'],
): Promise<void> {
  expect((await postUpdate(one.url, update)).status).toBe(200);
  await vi.waitFor(() => expect(turns).toHaveBeenCalledTimes(1));
  await telegramUpdateModel(one.db.connection).updateOne(
    { _id: update.update_id },
    { $set: { at: new Date(Date.now() - 120_000) } },
  );
  await one.telegram?.renew();
}

/** A "Bonjour" of `chat` as a process recorded and acknowledged it two minutes ago, then died. */
async function recordedNeverProcessed(chat: number): Promise<{ update_id: number }> {
  const update = fake.message(chat, 'Bonjour');
  await telegramUpdateModel(one.db.connection).collection.insertOne({
    _id: update.update_id as never,
    chat: String(chat),
    state: 'pending',
    raw: JSON.stringify(update),
    at: new Date(Date.now() - 120_000),
  });
  return update;
}

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
    const update = await recordedNeverProcessed(chat);
    const recovered = await Promise.all([one.telegram?.recover(), two.telegram?.recover()]);
    expect((recovered[0] ?? 0) + (recovered[1] ?? 0)).toBe(1);
    await processed(one.db.connection, update.update_id);
    expect(fake.messages(chat).filter((m) => /Tandem/.test(m.text))).toHaveLength(1);
    // Telegram delivering it again changes nothing.
    expect((await postUpdate(two.url, update)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 150));
    expect(fake.messages(chat).filter((m) => /Tandem/.test(m.text))).toHaveLength(1);
  });

  it('leaves to a process the update it is still processing, however long: the press is taken once', async () => {
    const user = new TelegramUser(fake, one.url, one.db.connection, 920_000_000, { language_code: 'fr' });
    for (const [, input] of LEA.slice(0, stepIndex(LEA, 'sectors')))
      typeof input === 'string' ? await user.say(input) : await user.press(input.press);
    // An option of a multi-select: another process would find its keyboard pressed, and take it late.
    const { message, data } = user.button('Numérique');
    const press = fake.callbackQuery(user.chatId, message.message_id, data);
    // The first process takes the press, and its turn waits (a queue behind a flood wait).
    const { turns, release, restore } = holdTurns(one);
    try {
      // It has waited two minutes there; the first process has said it still has it.
      await heldForTwoMinutes(press, turns);
      // The other process's recovery leaves it alone.
      expect(await two.telegram?.recover()).toBe(0);
      release();
      await processed(one.db.connection, press.update_id);
    } finally {
      restore();
    }
    await new Promise((r) => setTimeout(r, 150));
    const after = fake.messages(user.chatId).filter((m) => m.message_id > message.message_id);
    expect(after.filter((m) => /Votre sélection : Numérique\./.test(m.text))).toHaveLength(1);
  });

  it('leaves an update to the process recovering it, even to one that looks in the next minute', async () => {
    const chat = 940_000_000;
    const update = await recordedNeverProcessed(chat);
    const { turns, release, restore } = holdTurns(one);
    const minute = Math.floor(Date.now() / 60_000) * 60_000;
    try {
      // The first process takes it as a minute ends...
      const clock = vi.spyOn(Date, 'now').mockReturnValue(minute + 59_990);
      const recovering = one.telegram?.recover();
      try {
        await vi.waitFor(() => expect(turns).toHaveBeenCalledTimes(1));
      } finally {
        clock.mockRestore();
      }
      // ...the other listed it before the first said it has it, and gets to it as the next begins.
      await inboundMarkModel(one.db.connection).deleteOne({ _id: `telegram|alive|${update.update_id}` });
      const next = vi.spyOn(Date, 'now').mockReturnValue(minute + 60_010);
      try {
        expect(await two.telegram?.recover()).toBe(0);
      } finally {
        next.mockRestore();
      }
      release();
      expect(await recovering).toBe(1);
    } finally {
      restore();
    }
    await processed(one.db.connection, update.update_id);
    await new Promise((r) => setTimeout(r, 150));
    expect(fake.messages(chat).filter((m) => /Tandem/.test(m.text))).toHaveLength(1);
  });

  it('leaves to another process an update stuck here for more than ten minutes', async () => {
    const chat = 930_000_000;
    const update = fake.message(chat, 'Bonjour');
    // A turn that never ends here (a call that hangs).
    const { turns, restore } = holdTurns(one, { run: false });
    try {
      // It says it has it; eleven minutes on, it no longer does, and the other process takes it.
      await heldForTwoMinutes(update, turns);
      expect(await two.telegram?.recover()).toBe(0);
      const now = Date.now();
      const clock = vi.spyOn(Date, 'now').mockReturnValue(now + 11 * 60_000);
      try {
        await one.telegram?.renew();
        expect(await two.telegram?.recover()).toBe(1);
      } finally {
        clock.mockRestore();
      }
      await vi.waitFor(() =>
        expect(fake.messages(chat).filter((m) => /Tandem/.test(m.text))).toHaveLength(1),
      );
    } finally {
      restore();
    }
  });
});
