import { readFileSync } from 'node:fs';

/**
 * Real-looking Telegram Bot API update payloads (test/fixtures/telegram/*.json), with their ids
 * rewritten so several tests can share one fixture without their chats colliding.
 */

export interface TgUser {
  id: number;
  is_bot: boolean;
  first_name: string;
  last_name?: string;
  username?: string;
  language_code?: string;
}

export interface TgChat {
  id: number;
  type: 'private' | 'group' | 'supergroup' | 'channel';
  first_name?: string;
  last_name?: string;
  username?: string;
  title?: string;
  all_members_are_administrators?: boolean;
}

export interface TgEntity {
  type: string;
  offset: number;
  length: number;
  url?: string;
  language?: string;
}

export interface TgInlineButton {
  text: string;
  callback_data?: string;
  url?: string;
}

export interface TgReplyMarkup {
  inline_keyboard?: TgInlineButton[][];
  [key: string]: unknown;
}

export interface TgMessage {
  message_id: number;
  from?: TgUser;
  chat: TgChat;
  date: number;
  edit_date?: number;
  text?: string;
  caption?: string;
  entities?: TgEntity[];
  reply_markup?: TgReplyMarkup;
  [key: string]: unknown;
}

export interface TgCallbackQuery {
  id: string;
  from: TgUser;
  message?: TgMessage;
  chat_instance: string;
  data?: string;
}

export interface TgUpdate {
  update_id: number;
  message?: TgMessage;
  edited_message?: TgMessage;
  callback_query?: TgCallbackQuery;
  [key: string]: unknown;
}

export type FixtureName =
  | 'message'
  | 'edited_message'
  | 'callback_query'
  | 'photo'
  | 'sticker'
  | 'voice'
  | 'location'
  | 'document'
  | 'start_payload'
  | 'start_plain'
  | 'no_username'
  | 'group_message';

export interface FixtureOverrides {
  updateId?: number;
  /** The chat; for a private chat also the user (unless userId is given). */
  chatId?: number;
  /** The sender; for a private chat also the chat. */
  userId?: number;
  /** Replaces the text (or the caption of a media message); entities are recomputed. */
  text?: string;
  /** callback_query only: the button's callback_data. */
  data?: string;
  messageId?: number;
}

const fixtureDir = new URL('../fixtures/telegram/', import.meta.url);
const cache = new Map<FixtureName, TgUpdate>();

/** Loads a fixture (a fresh deep copy each time) and rewrites its ids consistently. */
export function telegramFixture(name: FixtureName, overrides: FixtureOverrides = {}): TgUpdate {
  const update = structuredClone(load(name));
  if (overrides.updateId !== undefined) update.update_id = overrides.updateId;
  const query = update.callback_query;
  if (query) {
    rewriteCallbackQuery(query, overrides);
    return update;
  }
  const message = update.message ?? update.edited_message;
  if (message) rewriteMessage(message, overrides);
  return update;
}

/** Telegram marks a leading "/command" (or "/command@bot") with a bot_command entity. */
export function commandEntities(text: string): TgEntity[] {
  const command = /^\/[A-Za-z0-9_]+(@[A-Za-z0-9_]+)?/.exec(text);
  return command ? [{ offset: 0, length: command[0].length, type: 'bot_command' }] : [];
}

function load(name: FixtureName): TgUpdate {
  let update = cache.get(name);
  if (!update) {
    update = JSON.parse(readFileSync(new URL(`${name}.json`, fixtureDir), 'utf8')) as TgUpdate;
    cache.set(name, update);
  }
  return update;
}

function rewriteMessage(message: TgMessage, o: FixtureOverrides): void {
  if (o.messageId !== undefined) message.message_id = o.messageId;
  if (message.chat.type === 'private') {
    // In a private chat the chat is the user: both ids must stay equal.
    const id = o.userId ?? o.chatId;
    if (id !== undefined) {
      message.chat.id = id;
      if (message.from) message.from.id = id;
    }
  } else {
    if (o.chatId !== undefined) message.chat.id = o.chatId;
    if (o.userId !== undefined && message.from) message.from.id = o.userId;
  }
  if (o.text !== undefined) setText(message, o.text);
}

function setText(message: TgMessage, text: string): void {
  const field = message.text === undefined && message.caption !== undefined ? 'caption' : 'text';
  message[field] = text;
  const entities = commandEntities(text);
  const key = field === 'text' ? 'entities' : 'caption_entities';
  if (entities.length > 0) message[key] = entities;
  else delete message[key];
}

function rewriteCallbackQuery(query: TgCallbackQuery, o: FixtureOverrides): void {
  const userId = o.userId ?? o.chatId;
  if (userId !== undefined) query.from.id = userId;
  if (o.data !== undefined) query.data = o.data;
  const message = query.message;
  if (!message) return;
  // The message carrying the keyboard was sent by the bot: only its chat follows the user.
  const chatId = o.chatId ?? o.userId;
  if (chatId !== undefined) message.chat.id = chatId;
  if (o.messageId !== undefined) message.message_id = o.messageId;
  if (o.text !== undefined) message.text = o.text;
}
