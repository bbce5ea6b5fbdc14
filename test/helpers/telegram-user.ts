import type { Connection } from 'mongoose';
import { telegramUpdateModel } from '../../models/telegram.js';
import type { FakeTelegram, StoredMessage } from './fake-telegram.js';
import { pollUntil } from './poll.js';

export const WEBHOOK_SECRET = 'test-telegram-webhook-secret_0123';

/** The app's environment for a Telegram channel in webhook mode on the fake Bot API. */
export function telegramEnv(fake: FakeTelegram): Record<string, string> {
  return {
    TELEGRAM_BOT_TOKEN: fake.token,
    TELEGRAM_API_ROOT: fake.url,
    TELEGRAM_WEBHOOK_URL: 'https://tandem.example.org/telegram/webhook',
    TELEGRAM_WEBHOOK_SECRET: WEBHOOK_SECRET,
  };
}

/** Posts an update to the app's webhook as Telegram does. */
export async function postUpdate(
  appUrl: string,
  update: object,
  secret: string | null = WEBHOOK_SECRET,
): Promise<Response> {
  return fetch(`${appUrl}/telegram/webhook`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(secret === null ? {} : { 'x-telegram-bot-api-secret-token': secret }),
    },
    body: JSON.stringify(update),
  });
}

/** Waits until the app has processed update `id` (its record is marked done). */
export async function processed(conn: Connection, id: number, timeoutMs = 10_000): Promise<void> {
  const updates = telegramUpdateModel(conn);
  await pollUntil(
    async () => (await updates.findById(id).lean())?.state === 'done',
    timeoutMs,
    () => new Error(`update ${id} not processed within ${timeoutMs} ms`),
    15,
  );
}

/** A person on Telegram, talking to the app through its webhook and the fake Bot API. */
export class TelegramUser {
  constructor(
    private readonly fake: FakeTelegram,
    private readonly appUrl: string,
    private readonly conn: Connection,
    readonly chatId: number,
    private readonly from: { first_name?: string; language_code?: string } = {},
  ) {}

  /** Sends a text; returns the bot's messages that came in reply. */
  async say(text: string): Promise<StoredMessage[]> {
    return this.deliver(this.fake.message(this.chatId, text, { from: this.from }));
  }

  /** Presses the button titled `title` on the bot's latest message that has it. */
  async press(title: string): Promise<StoredMessage[]> {
    const { message, data } = this.button(title);
    return this.deliver(this.fake.callbackQuery(this.chatId, message.message_id, data, this.from));
  }

  /** The latest message with a button titled `title`, and that button's callback_data. */
  button(title: string): { message: StoredMessage; data: string } {
    for (const message of [...this.fake.messages(this.chatId)].reverse()) {
      for (const row of message.reply_markup?.inline_keyboard ?? []) {
        const b = row.find((x) => x.text === title);
        if (b?.callback_data) return { message, data: b.callback_data };
      }
    }
    throw new Error(`no button "${title}" in chat ${this.chatId}: ${this.transcript()}`);
  }

  /** Posts any update and waits for it to be processed; returns the new bot messages. */
  async deliver(update: { update_id: number }): Promise<StoredMessage[]> {
    const before = this.fake.messages(this.chatId).length;
    const res = await postUpdate(this.appUrl, update);
    if (res.status !== 200) throw new Error(`webhook answered ${res.status}`);
    await processed(this.conn, update.update_id);
    return this.fake.messages(this.chatId).slice(before);
  }

  /** Every bot message in the chat, for failure messages. */
  transcript(): string {
    return this.fake
      .messages(this.chatId)
      .map((m) => `#${m.message_id} ${m.text}`)
      .join('\n');
  }
}
