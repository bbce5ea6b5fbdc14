import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { App } from '../../bot/app.js';
import { standaloneCard, text } from '../../bot/engine/reply.js';
import { startTestApp } from '../helpers/app.js';
import { type FakeTelegram, startFakeTelegram } from '../helpers/fake-telegram.js';
import { postUpdate, processed, TelegramUser, telegramEnv } from '../helpers/telegram-user.js';

let fake: FakeTelegram;
let app: App;

beforeAll(async () => {
  fake = await startFakeTelegram({ perChatRate: 50 });
  app = await startTestApp({ ...telegramEnv(fake), TELEGRAM_MAX_PER_CHAT_PER_S: '50' });
});
afterAll(async () => {
  await fake.close();
});

const PROPOSAL = standaloneCard(
  {
    title: 'Camille, cheffe de projet numérique',
    subtitle: 'Aubagne · en visio',
    text: 'Elle relit des CV et prépare aux entretiens.',
    buttons: [
      { title: "Ça m'intéresse", value: 'yes' },
      { title: 'Voir un autre profil', value: 'next' },
      { title: 'Plus tard', value: 'later' },
    ],
  },
  'proposal:p1',
);

describe('Telegram: a standalone card', () => {
  it('leaves the live question alone, survives later messages, and takes its first press once', async () => {
    const user = new TelegramUser(fake, app.url, app.db.connection, 710_000_001, { language_code: 'fr' });
    await user.say('Bonjour');
    const consent = user.button("J'accepte");
    const ref = {
      conversation: { id: String(user.chatId), isGroup: false, conversationType: 'personal', name: '' },
    };
    const telegram = app.bot.adapter.channel('telegram');
    await telegram.send(ref, [PROPOSAL]);
    const card = user.button("Ça m'intéresse").message;
    const markupOf = (id: number) =>
      fake.messages(user.chatId).find((m) => m.message_id === id)?.reply_markup;

    // The question sent before the card is still live: pressing it answers it.
    const answered = await user.press("J'accepte");
    expect(answered.map((m) => m.text).join('\n')).toMatch(/Quelle est votre tranche d'âge/);
    expect(JSON.stringify(markupOf(card.message_id))).toMatch(
      /Ça m'intéresse.*Voir un autre profil.*Plus tard/,
    );
    await fake.waitFor(() => markupOf(consent.message.message_id) === undefined);

    // A message without buttons closes the question, not the card.
    const age = user.button('26 à 35 ans').message;
    await telegram.send(ref, [text('Un mot de l’équipe Tandem.')]);
    await fake.waitFor(() => markupOf(age.message_id) === undefined);
    expect(markupOf(card.message_id)).toBeDefined();

    const turns = vi.spyOn(app.bot.engine, 'process');
    const { data } = user.button("Ça m'intéresse");
    const first = fake.callbackQuery(user.chatId, card.message_id, data);
    const second = fake.callbackQuery(user.chatId, card.message_id, data);
    await user.deliver(first);
    await postUpdate(app.url, second);
    await processed(app.db.connection, second.update_id);
    const received = turns.mock.calls.map(([a]) => ({ type: a.type, value: a.value }));
    turns.mockRestore();

    expect(received).toEqual([{ type: 'message', value: { q: 'proposal:p1', v: 'yes' } }]);
    await fake.waitFor(() => markupOf(card.message_id) === undefined);
    const answers = [first, second].map((u) => fake.queries.get(u.callback_query?.id ?? ''));
    expect(answers.map((a) => a?.answeredAt !== undefined)).toEqual([true, true]);
    expect(answers.map((a) => a?.text)).toEqual([undefined, 'Déjà pris en compte.']);
  });
});
