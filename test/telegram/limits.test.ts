import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../bot/app.js';
import { startTestApp } from '../helpers/app.js';
import { type FakeTelegram, startFakeTelegram } from '../helpers/fake-telegram.js';

let fake: FakeTelegram;
let app: App;

// Telegram's own limits on both sides, and long polling (no webhook configured).
beforeAll(async () => {
  fake = await startFakeTelegram();
  app = await startTestApp({ TELEGRAM_BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: fake.url });
});
afterAll(async () => {
  await app.stop();
  await fake.close();
});

describe('Telegram: long polling and limits', () => {
  it('gets updates by long polling and answers them', async () => {
    const chat = 810_000_001;
    fake.pushUpdate(fake.message(chat, 'Bonjour'));
    await fake.waitFor(() => fake.messages(chat).some((m) => /accepte/i.test(m.text)), 10_000);
    expect(fake.callsOf('deleteWebhook')).toHaveLength(1);
    expect(fake.messages(chat)[0]?.text).toMatch(/Tandem/);
  });

  it('sends a burst to many chats within 30 messages a second and 1 a second per chat, without a 429', async () => {
    const chats = Array.from({ length: 12 }, (_, i) => String(820_000_000 + i));
    const telegram = app.bot.adapter.channel('telegram');
    const texts = ['Un', 'Deux', 'Trois', 'Quatre', 'Cinq'];
    const started = Date.now();
    await Promise.all(
      chats.map((chat) =>
        telegram.send(
          { conversation: { id: chat } as never, user: { id: chat } as never },
          texts.map((text) => ({ type: 'message', text })),
        ),
      ),
    );
    expect(fake.stats.tooMany).toBe(0);
    for (const chat of chats) expect(fake.messages(chat).map((m) => m.text)).toEqual(texts);
    // Three at once, then one a second: the fifth message of a chat leaves about 2 s after the first.
    const sends = fake.callsOf('sendMessage').filter((c) => c.chatId === chats[0]);
    expect((sends[4]?.at ?? 0) - (sends[0]?.at ?? 0)).toBeGreaterThanOrEqual(2000);
    expect(Date.now() - started).toBeLessThan(6000);
  });
});
