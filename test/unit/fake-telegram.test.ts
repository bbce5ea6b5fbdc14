import { Api, TelegramApiError } from 'node-telegram-bot-api';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeTelegram, startFakeTelegram } from '../helpers/fake-telegram.js';
import { type FixtureName, telegramFixture } from '../helpers/telegram-fixtures.js';

/** The TelegramApiError a call fails with (fails the test if it succeeds or fails otherwise). */
async function apiError(call: Promise<unknown>): Promise<TelegramApiError> {
  try {
    await call;
  } catch (err) {
    if (err instanceof TelegramApiError) return err;
    throw err;
  }
  throw new Error('expected the call to fail with a TelegramApiError');
}

const keyboard = (...data: string[]) => ({
  inline_keyboard: data.map((d) => [{ text: `Choix ${d}`, callback_data: d }]),
});

describe('fake Telegram: protocol and content rules', () => {
  let fake: FakeTelegram;
  let api: Api;

  beforeAll(async () => {
    // Generous limits: these tests are about content, the flood limits have their own block.
    fake = await startFakeTelegram({ perChatBurst: 1000, globalRate: 1000 });
    api = new Api(fake.token, { apiRoot: fake.url, maxRetries: 0 });
  });
  afterAll(() => fake.close());
  beforeEach(() => fake.reset());

  it('answers getMe with the bot', async () => {
    const me = await api.getMe();
    expect(me).toMatchObject({ id: 123456, is_bot: true, first_name: 'Tandem', username: 'TandemHubBot' });
  });

  it('refuses a wrong token (401) and an unknown method (404)', async () => {
    const intruder = new Api('999:wrong', { apiRoot: fake.url, maxRetries: 0 });
    const unauthorized = await apiError(intruder.getMe());
    expect([unauthorized.errorCode, unauthorized.description]).toEqual([401, 'Unauthorized']);

    const res = await fetch(`${fake.url}/bot${fake.token}/sendTelepathy`, { method: 'POST' });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      ok: false,
      error_code: 404,
      description: 'Not Found: method not found',
    });
  });

  it('stores a sent message with its keyboard and records the decoded call', async () => {
    const sent = await api.sendMessage({
      chat_id: 42,
      text: '<b>Bonjour</b> Camille &amp; co',
      parse_mode: 'HTML',
      reply_markup: keyboard('oui', 'non'),
    });
    expect(sent).toMatchObject({
      message_id: 1,
      chat: { id: 42, type: 'private' },
      text: 'Bonjour Camille & co',
    });
    expect(sent.from).toMatchObject({ is_bot: true, username: 'TandemHubBot' });

    const [stored] = fake.messages(42);
    expect(stored).toMatchObject({
      message_id: 1,
      text: 'Bonjour Camille & co',
      html: '<b>Bonjour</b> Camille &amp; co',
      entities: [{ type: 'bold', offset: 0, length: 7 }],
      reply_markup: keyboard('oui', 'non'),
    });
    const [call] = fake.callsOf('sendMessage');
    expect(call).toMatchObject({ status: 200, chatId: '42', params: { chat_id: 42, parse_mode: 'HTML' } });
    expect(call?.params.reply_markup).toEqual(keyboard('oui', 'non'));
  });

  it('rejects HTML that does not parse, and accepts it escaped', async () => {
    const send = (text: string) => api.sendMessage({ chat_id: 42, text, parse_mode: 'HTML' });
    const injected = await apiError(send('Salut <script>alert(1)</script>'));
    expect(injected.errorCode).toBe(400);
    expect(injected.description).toBe(
      'Bad Request: can\'t parse entities: Unsupported start tag "script" at byte offset 6',
    );
    for (const bad of ['<b>pas fermé', '<b><i>croisé</b></i>', 'Tom & Jerry', '<span>x</span>', 'fin</b>']) {
      expect((await apiError(send(bad))).description).toMatch(/^Bad Request: can't parse entities: /);
    }
    expect(fake.messages(42)).toEqual([]);

    await send('Salut &lt;script&gt;alert(1)&lt;/script&gt; &#233;t&#xE9; &quot;ok&quot;');
    expect(fake.lastMessage(42)?.text).toBe('Salut <script>alert(1)</script> été "ok"');
    await send('<a href="https://example.org/?a=1&amp;b=2">lien</a> <span class="tg-spoiler">chut</span>');
    expect(fake.lastMessage(42)?.entities).toEqual([
      { type: 'text_link', offset: 0, length: 4, url: 'https://example.org/?a=1&b=2' },
      { type: 'spoiler', offset: 5, length: 4 },
    ]);
  });

  it('limits the visible text to 4096 UTF-16 units, tags and entities not counted', async () => {
    const send = (text: string) => api.sendMessage({ chat_id: 42, text, parse_mode: 'HTML' });
    expect((await apiError(send('a'.repeat(4097)))).description).toBe('Bad Request: message is too long');
    expect((await apiError(send('😀'.repeat(2049)))).description).toBe('Bad Request: message is too long');
    expect((await apiError(send('<b></b>'))).description).toBe('Bad Request: message text is empty');

    await send('a'.repeat(4096));
    await send(`<b>${'a'.repeat(4095)}</b>&amp;`);
    await send('😀'.repeat(2048));
    expect(fake.messages(42).map((m) => m.text.length)).toEqual([4096, 4096, 4096]);
  });

  it('checks inline buttons: callback_data is 1..64 bytes, one action per button', async () => {
    const send = (button: { text: string; callback_data?: string; url?: string }) =>
      api.sendMessage({ chat_id: 42, text: 'Choisis', reply_markup: { inline_keyboard: [[button]] } });
    const tooLong = await apiError(send({ text: 'A', callback_data: 'x'.repeat(65) }));
    expect([tooLong.errorCode, tooLong.description]).toEqual([400, 'Bad Request: BUTTON_DATA_INVALID']);
    // 33 characters but 66 bytes: Telegram counts bytes.
    expect((await apiError(send({ text: 'A', callback_data: 'é'.repeat(33) }))).description).toBe(
      'Bad Request: BUTTON_DATA_INVALID',
    );
    expect((await apiError(send({ text: 'A' }))).errorCode).toBe(400);
    expect((await apiError(send({ text: 'A', callback_data: 'a', url: 'https://x.org' }))).errorCode).toBe(
      400,
    );

    await send({ text: 'A', callback_data: 'x'.repeat(64) });
    await send({ text: 'Site', url: 'https://tandem.example.org' });
    expect(fake.messages(42)).toHaveLength(2);
  });

  it('edits the keyboard and the text like Telegram', async () => {
    const { message_id } = await api.sendMessage({
      chat_id: 42,
      text: 'Question',
      reply_markup: keyboard('a'),
    });
    await api.editMessageReplyMarkup({ chat_id: 42, message_id, reply_markup: keyboard('b') });
    expect(fake.lastMessage(42)?.reply_markup).toEqual(keyboard('b'));

    const same = await apiError(
      api.editMessageReplyMarkup({ chat_id: 42, message_id, reply_markup: keyboard('b') }),
    );
    expect(same.description).toMatch(/^Bad Request: message is not modified: /);
    await api.editMessageReplyMarkup({ chat_id: 42, message_id });
    expect(fake.lastMessage(42)?.reply_markup).toBeUndefined();

    const missing = await apiError(api.editMessageReplyMarkup({ chat_id: 42, message_id: 999 }));
    expect(missing.description).toBe('Bad Request: message to edit not found');

    await api.editMessageReplyMarkup({ chat_id: 42, message_id, reply_markup: keyboard('c') });
    // Editing the text without reply_markup drops the keyboard, as Telegram does.
    await api.editMessageText({ chat_id: 42, message_id, text: '<i>Réponse</i>', parse_mode: 'HTML' });
    expect(fake.lastMessage(42)).toMatchObject({ text: 'Réponse', html: '<i>Réponse</i>' });
    expect(fake.lastMessage(42)?.reply_markup).toBeUndefined();
    const unchanged = await apiError(
      api.editMessageText({ chat_id: 42, message_id, text: '<em>Réponse</em>', parse_mode: 'HTML' }),
    );
    expect(unchanged.description).toMatch(/not modified/);
  });

  it('refuses everything sent to a chat that blocked the bot (403)', async () => {
    fake.block(42);
    const err = await apiError(api.sendMessage({ chat_id: 42, text: 'Coucou' }));
    expect(err).toBeInstanceOf(TelegramApiError);
    expect([err.errorCode, err.description]).toEqual([403, 'Forbidden: bot was blocked by the user']);
    expect((await apiError(api.sendChatAction({ chat_id: 42, action: 'typing' }))).errorCode).toBe(403);
    expect(fake.messages(42)).toEqual([]);
    await api.sendMessage({ chat_id: 43, text: 'Coucou' });
  });

  it('serves getUpdates with offset, limit and long polling', async () => {
    const first = fake.message(42, 'Bonjour');
    const second = fake.message(42, 'Ça va ?');
    fake.pushUpdate(first);
    fake.pushUpdate(second);
    expect((await api.getUpdates({ limit: 1 })).map((u) => u.update_id)).toEqual([first.update_id]);
    expect((await api.getUpdates({ timeout: 0 })).map((u) => u.update_id)).toEqual([
      first.update_id,
      second.update_id,
    ]);

    // Confirming everything then polling for 1 s: an empty answer, after the timeout.
    const offset = second.update_id + 1;
    let started = Date.now();
    expect(await api.getUpdates({ offset, timeout: 1 })).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);

    // A pending long poll is answered as soon as an update arrives.
    started = Date.now();
    const third = fake.message(42, 'Tu es là ?');
    setTimeout(() => fake.pushUpdate(third), 50);
    const updates = await api.getUpdates({ offset, timeout: 5 });
    expect(updates.map((u) => u.update_id)).toEqual([third.update_id]);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('builds callback queries on stored messages and accepts a single answer', async () => {
    const sent = await api.sendMessage({
      chat_id: 42,
      text: 'Tu cherches :',
      reply_markup: keyboard('mentor'),
    });
    const update = fake.callbackQuery(42, sent.message_id, 'mentor');
    const query = update.callback_query;
    expect(query).toMatchObject({
      from: { id: 42, is_bot: false, language_code: 'fr' },
      data: 'mentor',
      message: { message_id: sent.message_id, chat: { id: 42 }, reply_markup: keyboard('mentor') },
    });
    expect(query?.chat_instance).toMatch(/^-\d+$/);
    const id = query?.id ?? '';

    await api.answerCallbackQuery({ callback_query_id: id, text: 'Noté' });
    const record = fake.queries.get(id);
    expect(record).toMatchObject({ text: 'Noté', show_alert: false, chatId: '42', data: 'mentor' });
    expect((record?.answeredAt ?? Infinity) - (record?.issuedAt ?? 0)).toBeLessThan(1000);

    const twice = await apiError(api.answerCallbackQuery({ callback_query_id: id }));
    expect([twice.errorCode, twice.description]).toEqual([
      400,
      'Bad Request: query is too old and response timeout expired or query ID is invalid',
    ]);
    expect((await apiError(api.answerCallbackQuery({ callback_query_id: '123' }))).errorCode).toBe(400);
  });

  it('fails the next calls of a method on demand, before any other check', async () => {
    fake.failNext('sendMessage', 2, { error_code: 500, description: 'Internal Server Error' });
    for (let i = 0; i < 2; i++) {
      expect((await apiError(api.sendMessage({ chat_id: 42, text: 'Essai' }))).errorCode).toBe(500);
    }
    await api.sendMessage({ chat_id: 42, text: 'Essai' });
    expect(fake.messages(42)).toHaveLength(1);
    expect(fake.callsOf('sendMessage').map((c) => c.status)).toEqual([500, 500, 200]);

    fake.failNext('answerCallbackQuery', 1, {
      error_code: 429,
      description: 'Too Many Requests: retry after 7',
      retry_after: 7,
    });
    const flood = await apiError(api.answerCallbackQuery({ callback_query_id: 'unknown' }));
    expect([flood.errorCode, flood.retryAfter]).toEqual([429, 7]);
    expect(fake.stats.tooMany).toBe(1);
  });

  it('remembers the webhook and refuses getUpdates while it is set', async () => {
    await api.setWebhook({ url: 'http://127.0.0.1:9/telegram', secret_token: 's3cret_token' });
    expect(fake.webhook).toEqual({ url: 'http://127.0.0.1:9/telegram', secret_token: 's3cret_token' });
    expect((await api.getWebhookInfo()).url).toBe('http://127.0.0.1:9/telegram');
    expect((await apiError(api.getUpdates())).errorCode).toBe(409);
    await api.deleteWebhook();
    expect(fake.webhook.url).toBe('');
    expect(await api.getUpdates()).toEqual([]);
  });

  it('also accepts JSON and multipart bodies', async () => {
    const post = (body: BodyInit, headers: Record<string, string> = {}) =>
      fetch(`${fake.url}/bot${fake.token}/sendMessage`, { method: 'POST', body, headers });
    const json = await post(JSON.stringify({ chat_id: 7, text: 'json', reply_markup: keyboard('j') }), {
      'content-type': 'application/json',
    });
    expect(json.status).toBe(200);
    const form = new FormData();
    form.set('chat_id', '7');
    form.set('text', 'multipart é');
    form.set('reply_markup', JSON.stringify(keyboard('m')));
    expect((await post(form)).status).toBe(200);
    expect(fake.messages(7).map((m) => [m.text, m.reply_markup])).toEqual([
      ['json', keyboard('j')],
      ['multipart é', keyboard('m')],
    ]);
  });

  it('waitFor resolves on the condition and explains a timeout', async () => {
    setTimeout(() => void api.sendMessage({ chat_id: 42, text: 'Plus tard' }), 30);
    await fake.waitFor(() => fake.lastMessage(42)?.text === 'Plus tard');
    await expect(fake.waitFor(() => false, 50)).rejects.toThrow(
      /condition not met within 50 ms; last calls: sendMessage\(42\) -> 200/,
    );
  });

  it('builds private text message updates on the fixture, sharing the chat message ids', async () => {
    await api.sendMessage({ chat_id: 42, text: 'Bienvenue' });
    const update = fake.message(42, '/start p-cci', { from: { first_name: 'Léa', username: undefined } });
    expect(update.message).toMatchObject({
      message_id: 2,
      from: { id: 42, is_bot: false, first_name: 'Léa', language_code: 'fr' },
      chat: { id: 42, type: 'private', first_name: 'Léa' },
      text: '/start p-cci',
      entities: [{ offset: 0, length: 6, type: 'bot_command' }],
    });
    expect(update.message?.chat.username).toBeUndefined();
    expect(fake.nextUpdateId()).toBe(update.update_id + 1);
  });
});

describe('fake Telegram: flood limits', () => {
  let fake: FakeTelegram;
  afterEach(() => fake.close());

  it('lets a burst of 3 through per chat, then answers 429 with retry_after', async () => {
    fake = await startFakeTelegram();
    const api = new Api(fake.token, { apiRoot: fake.url, maxRetries: 0 });
    for (let i = 1; i <= 3; i++) await api.sendMessage({ chat_id: 42, text: `Message ${i}` });
    const err = await apiError(api.sendMessage({ chat_id: 42, text: 'Message 4' }));
    expect([err.errorCode, err.description, err.retryAfter]).toEqual([
      429,
      'Too Many Requests: retry after 1',
      1,
    ]);
    expect(fake.stats.tooMany).toBe(1);
    expect(fake.messages(42)).toHaveLength(3);
    // Chat actions are not limited, and other chats have their own bucket.
    await api.sendChatAction({ chat_id: 42, action: 'typing' });
    await api.sendMessage({ chat_id: 43, text: 'Autre chat' });
  });

  it('lets a client that honours retry_after through', async () => {
    fake = await startFakeTelegram();
    const api = new Api(fake.token, { apiRoot: fake.url, maxRetries: 2 });
    for (let i = 1; i <= 3; i++) await api.sendMessage({ chat_id: 42, text: `Message ${i}` });
    const started = Date.now();
    await api.sendMessage({ chat_id: 42, text: 'Message 4' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(fake.messages(42).map((m) => m.text)).toEqual([
      'Message 1',
      'Message 2',
      'Message 3',
      'Message 4',
    ]);
    expect(fake.callsOf('sendMessage').map((c) => c.status)).toEqual([200, 200, 200, 429, 200]);
    expect(fake.stats.tooMany).toBe(1);
  });

  it('applies the global limit across chats, edits included', async () => {
    fake = await startFakeTelegram({ globalRate: 2 });
    const api = new Api(fake.token, { apiRoot: fake.url, maxRetries: 0 });
    const { message_id } = await api.sendMessage({ chat_id: 1, text: 'Un', reply_markup: keyboard('x') });
    await api.editMessageReplyMarkup({ chat_id: 1, message_id });
    expect((await apiError(api.sendMessage({ chat_id: 3, text: 'Trois' }))).errorCode).toBe(429);
    expect(fake.messages(3)).toEqual([]);
  });
});

describe('telegram fixtures', () => {
  const names: FixtureName[] = [
    'message',
    'edited_message',
    'callback_query',
    'photo',
    'sticker',
    'voice',
    'location',
    'document',
    'start_payload',
    'start_plain',
    'no_username',
    'group_message',
  ];

  it('are real-looking updates with one payload each', () => {
    for (const name of names) {
      const update = telegramFixture(name);
      expect(Object.keys(update), name).toHaveLength(2);
      expect(update.update_id, name).toBeGreaterThan(0);
    }
    expect(telegramFixture('photo').message?.photo).toHaveLength(4);
    expect(telegramFixture('start_payload').message?.entities).toEqual([
      { offset: 0, length: 6, type: 'bot_command' },
    ]);
    const anonymous = telegramFixture('no_username').message?.from;
    expect(anonymous).not.toHaveProperty('username');
    expect(anonymous).not.toHaveProperty('last_name');
  });

  it('rewrites ids consistently and never shares state between calls', () => {
    const update = telegramFixture('message', { updateId: 5, chatId: 99, text: '/aide', messageId: 8 });
    expect(update).toMatchObject({
      update_id: 5,
      message: { message_id: 8, from: { id: 99 }, chat: { id: 99 }, text: '/aide' },
    });
    expect(update.message?.entities).toEqual([{ offset: 0, length: 5, type: 'bot_command' }]);
    expect(telegramFixture('message').message?.chat.id).toBe(731849205);

    const group = telegramFixture('group_message', { chatId: -5, userId: 7 }).message;
    expect([group?.chat.id, group?.from?.id, group?.chat.type]).toEqual([-5, 7, 'group']);

    const tap = telegramFixture('callback_query', { userId: 11, data: 'oui', messageId: 3 }).callback_query;
    expect([tap?.from.id, tap?.message?.chat.id, tap?.message?.message_id, tap?.data]).toEqual([
      11,
      11,
      3,
      'oui',
    ]);
    expect(telegramFixture('photo', { text: 'Légende' }).message?.caption).toBe('Légende');
  });
});
