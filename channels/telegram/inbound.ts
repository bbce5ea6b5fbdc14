import type { Activity, Attachment } from 'botbuilder';
import type { CallbackQuery, Message } from 'node-telegram-bot-api';
import type { Arrival } from '../../bot/engine/turn.js';
import { parseButtonRef } from '../shared/keyboards.js';
import { TELEGRAM } from './outbound.js';

/** What an update asks of the channel. */
export type Inbound =
  | { kind: 'turn'; chat: string; activity: Partial<Activity> }
  | { kind: 'press'; chat: string; query: CallbackQuery; key: string; n: number }
  | { kind: 'ignore'; chat?: string; reason: string };

/** Telegram caps a deep link's payload at 64 characters of A-Z, a-z, 0-9, _ and -. */
const PAYLOAD = /^[A-Za-z0-9_-]{1,64}$/;
const BOT = { id: 'tandem', name: 'Tandem', role: 'bot' };

/** The fields of service messages a private chat may get (Bot API 7): actions, not things said. */
const SERVICE = [
  'pinned_message',
  'message_auto_delete_timer_changed',
  'write_access_allowed',
  'chat_background_set',
  'users_shared',
  'chat_shared',
  'connected_website',
  'proximity_alert_triggered',
  'boost_added',
  'successful_payment',
  'refunded_payment',
];

/** The updates we ask Telegram for (allowed_updates), as one loose shape. */
export interface Update {
  update_id: number;
  message?: Message;
  edited_message?: Message;
  callback_query?: CallbackQuery;
}

/** The chat an update belongs to, for ordering: updates of one chat are processed in order. */
export function chatOf(update: Update): string | undefined {
  const message = update.message ?? update.edited_message ?? update.callback_query?.message;
  const id = message?.chat.id ?? update.callback_query?.from.id;
  return id === undefined ? undefined : String(id);
}

/** Maps a Telegram update to a turn of the engine, a button press, or nothing. */
export function classify(update: Update): Inbound {
  if (update.callback_query) return classifyPress(update.callback_query);
  if (update.edited_message) {
    // The answer was taken as first written; editing it does not change it.
    return { kind: 'ignore', chat: chatOf(update), reason: 'edited message' };
  }
  const message = update.message;
  if (!message) return { kind: 'ignore', reason: 'update type not handled' };
  const chat = String(message.chat.id);
  if (message.chat.type !== 'private') return { kind: 'ignore', chat, reason: 'not a private chat' };
  if (!message.from || message.from.is_bot) return { kind: 'ignore', chat, reason: 'not from a person' };
  // Pinning a message or setting auto-delete is no answer, and no reason to say we read only text.
  if (SERVICE.some((k) => k in message)) return { kind: 'ignore', chat, reason: 'service message' };
  return { kind: 'turn', chat, activity: toActivity(update.update_id, message) };
}

function classifyPress(query: CallbackQuery): Inbound {
  const chat = String(query.message?.chat.id ?? query.from.id);
  // Data we did not write (an old format, a forged press) is a stale press: answered all the same.
  return { kind: 'press', chat, query, ...parseButtonRef(query.data) };
}

/** The Activity of a private message: text, a /start with its deep link, or something else. */
export function toActivity(updateId: number, message: Message): Partial<Activity> {
  const from = message.from;
  const base: Partial<Activity> = {
    id: `u${updateId}`,
    channelId: TELEGRAM,
    from: { id: String(from?.id ?? message.chat.id), name: from?.first_name ?? '' },
    recipient: BOT,
    conversation: { id: String(message.chat.id), isGroup: false, conversationType: 'personal', name: '' },
    locale: from?.language_code,
    timestamp: new Date(message.date * 1000),
    channelData: { messageId: message.message_id },
  };
  const start = startCommand(message);
  if (start !== undefined) {
    return { ...base, type: 'event', name: 'start', value: parseStartPayload(start) };
  }
  if (typeof message.text === 'string') return { ...base, type: 'message', text: message.text };
  return { ...base, type: 'message', text: '', attachments: [nonText(message)] };
}

/** `/start` or `/start <payload>` (also `/start@TandemBot`): the payload, '' when there is none. */
function startCommand(message: Message): string | undefined {
  const m = /^\/start(?:@\w+)?(?:\s+(\S*))?\s*$/.exec(message.text ?? '');
  return m ? (m[1] ?? '') : undefined;
}

/**
 * A deep link's payload: `p-<programme>`, `c-<campaign>` or `l-<one-time code>`. Anything else is
 * kept as `invalid` for a log line: the person is welcomed all the same.
 */
export function parseStartPayload(payload: string): Arrival {
  if (payload === '') return {};
  if (!PAYLOAD.test(payload)) return { invalid: payload.slice(0, 80) };
  const [, kind, value] = /^([pcl])-(.+)$/.exec(payload) ?? [];
  if (kind === 'p' && value) return { programme: value };
  if (kind === 'c' && value) return { campaign: value };
  if (kind === 'l' && value) return { link: value };
  return { invalid: payload };
}

/** A photo, sticker, voice note...: named so the dialog can say it only reads text. */
function nonText(message: Message): Attachment {
  const kinds = [
    'photo',
    'sticker',
    'voice',
    'audio',
    'video',
    'video_note',
    'document',
    'location',
    'contact',
    'animation',
    'poll',
    'venue',
    'dice',
  ] as const;
  const kind = kinds.find((k) => (message as Record<string, unknown>)[k] !== undefined) ?? 'other';
  return { contentType: `application/vnd.telegram.${kind}` };
}
