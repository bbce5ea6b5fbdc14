import type { Activity, ConversationReference, ResourceResponse } from 'botbuilder';
import { type Api, type InlineKeyboardButton, TelegramApiError } from 'node-telegram-bot-api';
import type { ChannelOutbound } from '../../bot/engine/channel.js';
import { isMultiSelect } from '../../bot/engine/reply.js';
import { PartlySentError, type SendProgress, UnreachableError } from '../../bot/errors.js';
import type { Logger } from '../../bot/log.js';
import type { PeopleService } from '../../bot/services/people.js';
import { buttonRef, type KeyboardMessage, type KeyboardStore, sendInBatches } from '../shared/keyboards.js';
import type { SendLimiter } from '../shared/limiter.js';
import { keyboardRows, type RenderedButton, type RenderedMessage, render } from './format.js';

export const TELEGRAM = 'telegram';

/**
 * Renders Activities as Telegram messages: HTML with everything escaped, split at 4,096
 * characters; quick replies and card buttons as an inline keyboard whose callback_data is a short
 * key (what a button means stays in the store; a standalone card's under a key of its own, which
 * later messages leave alone); typing as a chat action. Every send waits for the limiter; a 429 is
 * retried by the client after `retry_after`; a 403 (blocked) marks the person unreachable here and
 * is not retried.
 */
export class TelegramOutbound implements ChannelOutbound {
  readonly id = TELEGRAM;
  readonly defaultRole = 'mentee' as const;

  constructor(
    private readonly deps: {
      api: Api;
      keyboards: KeyboardStore;
      people: PeopleService;
      limiter: SendLimiter;
      log: Logger;
      /** The bot's @username, from getMe (undefined when it could not be read). */
      username: Promise<string | undefined>;
    },
  ) {}

  async handoffUrl(code: string): Promise<string | undefined> {
    const name = await this.deps.username;
    return name ? `https://t.me/${name}?start=l-${code}` : undefined;
  }

  async send(
    ref: Partial<ConversationReference>,
    activities: Partial<Activity>[],
  ): Promise<ResourceResponse[]> {
    const chat = ref.conversation?.id ?? '';
    const progress: SendProgress = { sent: 0 };
    try {
      return await sendInBatches(activities, (batch, standalone) =>
        this.sendBatch(chat, batch, standalone, progress),
      );
    } catch (err) {
      if (err instanceof TelegramApiError && err.errorCode === 403) {
        this.deps.log.info({ chat }, 'telegram: the user blocked the bot; marked unreachable');
        await this.deps.people.markUnreachable(TELEGRAM, ref.user?.id ?? chat);
        throw new UnreachableError(TELEGRAM, err);
      }
      throw PartlySentError.after(progress.sent, err);
    }
  }

  /** Sends one batch (see sendInBatches), counting in `progress` each activity once all its messages are sent. */
  private async sendBatch(
    chat: string,
    activities: Partial<Activity>[],
    standalone: boolean,
    progress: SendProgress,
  ): Promise<ResourceResponse[]> {
    const rendered = activities.map(render);
    const buttons = rendered.flatMap((r) =>
      r?.kind === 'message' ? r.parts.flatMap((p) => p.buttons.filter(isChoice)) : [],
    );
    const { keyboard, stale } = await this.deps.keyboards.open(
      chat,
      buttons,
      standalone,
      activities.some(isMultiSelect),
    );
    await Promise.all(stale.map((m) => this.clearButtons(chat, Number(m.id))));

    const out: ResourceResponse[] = [];
    const withKeyboard: KeyboardMessage[] = [];
    let n = 0;
    try {
      for (const r of rendered) {
        if (r?.kind === 'typing') await this.deps.api.sendChatAction({ chat_id: chat, action: 'typing' });
        if (r?.kind !== 'message') {
          progress.sent++;
          continue;
        }
        for (const part of r.parts) {
          const markup = keyboard ? this.markup(part, keyboard.key, n) : undefined;
          n += part.buttons.filter(isChoice).length;
          await this.deps.limiter.acquire(chat);
          const sent = await this.deps.api.sendMessage({
            chat_id: chat,
            text: part.html,
            parse_mode: 'HTML',
            link_preview_options: { is_disabled: true },
            ...(markup ? { reply_markup: { inline_keyboard: markup } } : {}),
          });
          out.push({ id: String(sent.message_id) });
          if (markup) withKeyboard.push({ id: String(sent.message_id) });
        }
        progress.sent++;
      }
    } catch (err) {
      // The messages with buttons that went before the failure are recorded all the same, so that
      // the next question takes their buttons off.
      if (keyboard && withKeyboard.length > 0) {
        await this.deps.keyboards
          .keyboardSent(keyboard, withKeyboard)
          .catch((recordErr: unknown) =>
            this.deps.log.warn({ err: recordErr, chat }, 'telegram: could not record the buttons sent'),
          );
      }
      throw err;
    }
    if (keyboard && withKeyboard.length > 0) await this.deps.keyboards.keyboardSent(keyboard, withKeyboard);
    return out;
  }

  /** The inline keyboard of one message; choice `i` of the batch is `<key>:<i>` (≤ 64 bytes). */
  private markup(part: RenderedMessage, key: string, first: number): InlineKeyboardButton[][] | undefined {
    if (part.buttons.length === 0) return undefined;
    let i = first;
    const drawn: InlineKeyboardButton[] = part.buttons.map((b) =>
      isChoice(b) ? { text: b.title, callback_data: buttonRef(key, i++) } : { text: b.title, url: b.url },
    );
    return keyboardRows(drawn, (b) => b.text);
  }

  /** Removes a message's buttons so that an old question cannot be answered again. */
  async clearButtons(chat: string, messageId: number): Promise<void> {
    try {
      await this.deps.limiter.acquire(chat);
      await this.deps.api.editMessageReplyMarkup({ chat_id: chat, message_id: messageId });
    } catch (err) {
      // Already gone, or too old to edit: store.press still reads what a press on it means.
      this.deps.log.debug({ err, chat }, 'telegram: could not remove old buttons');
    }
  }
}

function isChoice(b: RenderedButton): b is { title: string; value: unknown } {
  return 'value' in b;
}
