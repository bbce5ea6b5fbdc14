import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pollUntil } from './poll.js';
import {
  type TgChat,
  type TgEntity,
  type TgMessage,
  type TgReplyMarkup,
  type TgUpdate,
  type TgUser,
  telegramFixture,
} from './telegram-fixtures.js';

/**
 * A fake Telegram Bot API server for tests. It speaks the real wire protocol (the app talks to it
 * through node-telegram-bot-api with `apiRoot` pointed here) and is as strict as Telegram on the
 * things that break bots in production: HTML that does not parse, too-long texts, callback_data
 * over 64 bytes, flood limits (429 + retry_after), blocked users, stale callback queries.
 */

export interface FakeTelegramOptions {
  token?: string;
  username?: string;
  /** Messages a chat may receive at once before the per-chat limit applies. */
  perChatBurst?: number;
  /** Sustained messages per second per chat. */
  perChatRate?: number;
  /** Messages per second over all chats (also the global burst). */
  globalRate?: number;
  /** Minimum retry_after (seconds) sent with a 429. */
  retryAfter?: number;
}

export type Params = Record<string, unknown>;

export interface RecordedCall {
  method: string;
  /** Decoded: JSON fields parsed, numeric ids and booleans typed. */
  params: Params;
  /** Date.now() when the request arrived. */
  at: number;
  /** HTTP status of the answer (= error_code on failure). */
  status: number;
  chatId?: string;
}

export interface StoredMessage {
  message_id: number;
  chatId: string;
  date: number;
  edit_date?: number;
  /** Plain text as the user sees it: tags removed, entities decoded. */
  text: string;
  /** The text exactly as the bot sent it (HTML source when parse_mode is HTML). */
  html: string;
  entities: TgEntity[];
  reply_markup?: TgReplyMarkup;
}

export interface CallbackQueryRecord {
  id: string;
  chatId: string;
  messageId: number;
  data: string;
  /** Date.now() when the test issued the query. */
  issuedAt: number;
  answeredAt?: number;
  text?: string;
  show_alert?: boolean;
}

export interface TelegramError {
  error_code: number;
  description: string;
  retry_after?: number;
}

export interface FakeTelegram {
  /** The apiRoot to give the client, e.g. http://127.0.0.1:PORT */
  readonly url: string;
  readonly token: string;
  readonly username: string;
  readonly calls: RecordedCall[];
  readonly stats: { tooMany: number };
  readonly queries: ReadonlyMap<string, CallbackQueryRecord>;
  readonly webhook: { url: string; secret_token?: string };
  /** Queues an update for getUpdates (wakes a pending long poll). */
  pushUpdate(update: TgUpdate): void;
  nextUpdateId(): number;
  /** A private text message Update from user `chatId` (not queued: pushUpdate or POST it yourself). */
  message(chatId: number | string, text: string, opts?: MessageOptions): TgUpdate;
  /** A tap on an inline button of a stored bot message (not queued either). */
  callbackQuery(chatId: number | string, messageId: number, data: string, from?: Partial<TgUser>): TgUpdate;
  /** From now on, sends, edits and chat actions to this chat fail with 403. */
  block(chatId: number | string): void;
  /** The next `count` calls of `method` (after `after` more that pass) fail with `error`, before any other check. */
  failNext(method: string, count: number, error: TelegramError, opts?: { after?: number }): void;
  callsOf(method: string): RecordedCall[];
  messages(chatId: number | string): StoredMessage[];
  lastMessage(chatId: number | string): StoredMessage | undefined;
  waitFor(predicate: () => boolean, timeoutMs?: number): Promise<void>;
  /** Forgets calls, stats, messages, blocks, buckets, injected failures, updates, queries, webhook. */
  reset(): void;
  close(): Promise<void>;
}

export interface MessageOptions {
  from?: Partial<TgUser>;
  entities?: TgEntity[];
}

export async function startFakeTelegram(opts: FakeTelegramOptions = {}): Promise<FakeTelegram> {
  const fake = new FakeTelegramServer(opts);
  await fake.listen();
  return fake;
}

// ---------------------------------------------------------------------------------------------
// Errors and request decoding

/** A refused call: answered as Telegram's `{ ok: false }` envelope, HTTP status = error_code. */
class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly description: string,
    readonly retryAfter?: number,
  ) {
    super(description);
  }
}

const badRequest = (what: string) => new ApiError(400, `Bad Request: ${what}`);
const entityError = (what: string) => badRequest(`can't parse entities: ${what}`);

/** Telegram sends these as JSON strings in form bodies; tests want the objects. */
const JSON_FIELDS = [
  'reply_markup',
  'entities',
  'caption_entities',
  'allowed_updates',
  'link_preview_options',
];
const INT_FIELDS = ['chat_id', 'message_id', 'offset', 'limit', 'timeout', 'cache_time', 'max_connections'];
const BOOL_FIELDS = ['show_alert', 'drop_pending_updates', 'disable_notification', 'protect_content'];

async function readParams(req: IncomingMessage, query: URLSearchParams): Promise<Params> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  const type = req.headers['content-type'] ?? '';
  return decodeParams({ ...Object.fromEntries(query), ...parseBody(body, type) });
}

function parseBody(body: Buffer, type: string): Params {
  if (body.length === 0) return {};
  if (type.includes('application/json')) {
    try {
      return JSON.parse(body.toString('utf8')) as Params;
    } catch {
      throw badRequest("can't parse JSON object");
    }
  }
  if (type.includes('multipart/form-data')) return parseMultipart(body, type);
  return Object.fromEntries(new URLSearchParams(body.toString('utf8')));
}

/** Enough multipart for the client's uploads: text fields as strings, files as name + size. */
function parseMultipart(body: Buffer, type: string): Params {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(type);
  const marker = boundary?.[1] ?? boundary?.[2];
  if (!marker) throw badRequest('multipart boundary is missing');
  const params: Params = {};
  // latin1 maps bytes 1:1 to chars, so file parts keep their exact size.
  for (const part of body.toString('latin1').split(`--${marker}`)) {
    const headerEnd = part.indexOf('\r\n\r\n');
    const headers = part.slice(0, headerEnd);
    const name = /[;\s]name="([^"]*)"/i.exec(headers)?.[1];
    if (headerEnd < 0 || !name) continue;
    const content = part.slice(headerEnd + 4).replace(/\r\n$/, '');
    const filename = /filename="([^"]*)"/i.exec(headers)?.[1];
    params[name] =
      filename === undefined
        ? Buffer.from(content, 'latin1').toString('utf8')
        : { filename, size: Buffer.byteLength(content, 'latin1') };
  }
  return params;
}

/** Form bodies carry only strings; type the fields tests assert on. Bad JSON stays a string. */
function decodeParams(raw: Params): Params {
  const params = { ...raw };
  for (const key of JSON_FIELDS) {
    const value = params[key];
    if (typeof value !== 'string') continue;
    try {
      params[key] = JSON.parse(value);
    } catch {
      // Left as is: the validators reject a string where Telegram expects an object.
    }
  }
  for (const key of INT_FIELDS) {
    const value = params[key];
    if (typeof value === 'string' && /^-?\d+$/.test(value)) params[key] = Number(value);
  }
  for (const key of BOOL_FIELDS) {
    if (params[key] === 'true') params[key] = true;
    else if (params[key] === 'false') params[key] = false;
  }
  return params;
}

function str(params: Params, key: string): string | undefined {
  const value = params[key];
  if (typeof value === 'string') return value;
  return typeof value === 'number' ? String(value) : undefined;
}

function int(params: Params, key: string): number | undefined {
  const value = params[key];
  return typeof value === 'number' && Number.isInteger(value) ? value : undefined;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

// ---------------------------------------------------------------------------------------------
// Message content validation, as strict as Telegram

const MAX_TEXT = 4096;
const MAX_CALLBACK_DATA_BYTES = 64;

/** The tags Telegram's HTML parse mode accepts, and the entity each produces. */
const TAG_ENTITY: Record<string, string> = {
  b: 'bold',
  strong: 'bold',
  i: 'italic',
  em: 'italic',
  u: 'underline',
  ins: 'underline',
  s: 'strikethrough',
  strike: 'strikethrough',
  del: 'strikethrough',
  a: 'text_link',
  code: 'code',
  pre: 'pre',
  'tg-spoiler': 'spoiler',
  span: 'spoiler',
  blockquote: 'blockquote',
};

const NAMED_ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"' };

interface RenderedText {
  text: string;
  html: string;
  entities: TgEntity[];
}

interface OpenTag {
  name: string;
  offset: number;
  attrs: Record<string, string>;
}

/** Validates text + parse_mode like sendMessage does and returns what the user would see. */
function renderText(params: Params): RenderedText {
  const html = str(params, 'text') ?? '';
  const mode = str(params, 'parse_mode')?.toLowerCase();
  if (mode !== undefined && !['html', 'markdown', 'markdownv2'].includes(mode)) {
    throw badRequest('unsupported parse_mode');
  }
  // Markdown modes are not emulated: their text is kept as sent.
  const entities = Array.isArray(params.entities) ? (params.entities as TgEntity[]) : [];
  const rendered = mode === 'html' ? parseHtml(html) : { text: html, entities };
  if (rendered.text.trim() === '') throw badRequest('message text is empty');
  // Telegram counts UTF-16 code units, which is what String#length counts.
  if (rendered.text.length > MAX_TEXT) throw badRequest('message is too long');
  return { ...rendered, html };
}

function parseHtml(html: string): { text: string; entities: TgEntity[] } {
  let text = '';
  const entities: TgEntity[] = [];
  const open: OpenTag[] = [];
  let i = 0;
  while (i < html.length) {
    const char = html[i] ?? '';
    if (char === '<') {
      const end = html.indexOf('>', i);
      if (end < 0) throw entityError(`Unclosed start tag at byte offset ${byteOffset(html, i)}`);
      const tag = html.slice(i + 1, end);
      if (tag.startsWith('/')) closeTag(tag.slice(1).trim().toLowerCase(), html, i, open, text, entities);
      else open.push(openTag(tag, html, i, text.length));
      i = end + 1;
    } else if (char === '&') {
      const entity = decodeEntity(html, i);
      text += entity.char;
      i += entity.length;
    } else {
      text += char;
      i++;
    }
  }
  const unclosed = open.at(-1);
  if (unclosed) throw entityError(`Can't find end tag corresponding to start tag "${unclosed.name}"`);
  return { text, entities };
}

function openTag(tag: string, html: string, at: number, offset: number): OpenTag {
  const name = (/^[A-Za-z][A-Za-z0-9-]*/.exec(tag)?.[0] ?? '').toLowerCase();
  if (!(name in TAG_ENTITY)) {
    throw entityError(`Unsupported start tag "${name}" at byte offset ${byteOffset(html, at)}`);
  }
  const attrs = parseAttributes(tag.slice(name.length));
  if (name === 'span' && attrs.class !== 'tg-spoiler') {
    throw entityError(`Tag "span" must have class "tg-spoiler" at byte offset ${byteOffset(html, at)}`);
  }
  return { name, offset, attrs };
}

function closeTag(
  name: string,
  html: string,
  at: number,
  open: OpenTag[],
  text: string,
  entities: TgEntity[],
): void {
  const top = open.pop();
  if (!top) throw entityError(`Unexpected end tag at byte offset ${byteOffset(html, at)}`);
  if (top.name !== name) {
    throw entityError(
      `Unmatched end tag at byte offset ${byteOffset(html, at)}, expected "</${top.name}>", found "</${name}>"`,
    );
  }
  const length = text.length - top.offset;
  if (length === 0) return; // Telegram drops empty entities
  const entity: TgEntity = { offset: top.offset, length, type: TAG_ENTITY[name] ?? name };
  if (name === 'a' && top.attrs.href) entity.url = top.attrs.href;
  if (name === 'blockquote' && 'expandable' in top.attrs) entity.type = 'expandable_blockquote';
  entities.push(entity);
}

function parseAttributes(source: string): Record<string, string> {
  const attrs: Record<string, string> = {};
  for (const m of source.matchAll(/([^\s=/]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"']+)))?/g)) {
    const name = (m[1] ?? '').toLowerCase();
    attrs[name] = decodeEntities(m[2] ?? m[3] ?? m[4] ?? '');
  }
  return attrs;
}

/** Only &lt; &gt; &amp; &quot; and numeric entities exist for Telegram; a bare '&' is an error. */
function decodeEntity(html: string, at: number): { char: string; length: number } {
  const m = /^&(?:([a-z]+)|#(\d{1,7})|#x([0-9a-f]{1,6}));/i.exec(html.slice(at, at + 12));
  const named = m?.[1] !== undefined ? NAMED_ENTITIES[m[1]] : undefined;
  const code = m?.[2] !== undefined ? Number(m[2]) : m?.[3] !== undefined ? Number.parseInt(m[3], 16) : NaN;
  if (m && named !== undefined) return { char: named, length: m[0].length };
  if (m && code <= 0x10ffff) return { char: String.fromCodePoint(code), length: m[0].length };
  throw entityError(`Unsupported HTML entity at byte offset ${byteOffset(html, at)}`);
}

function decodeEntities(source: string): string {
  let out = '';
  for (let i = 0; i < source.length; ) {
    if (source[i] !== '&') {
      out += source[i++];
      continue;
    }
    const entity = decodeEntity(source, i);
    out += entity.char;
    i += entity.length;
  }
  return out;
}

/** Telegram reports parse errors as UTF-8 byte offsets. */
const byteOffset = (text: string, index: number) => Buffer.byteLength(text.slice(0, index), 'utf8');

/** Validates reply_markup; an empty inline keyboard means "no keyboard", as in Telegram. */
function checkMarkup(markup: unknown): TgReplyMarkup | undefined {
  if (markup === undefined) return undefined;
  if (!isObject(markup)) throw badRequest("can't parse reply keyboard markup JSON object");
  const rows = markup.inline_keyboard;
  if (rows === undefined) return markup;
  if (!Array.isArray(rows) || !rows.every(Array.isArray)) {
    throw badRequest('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays');
  }
  for (const button of rows.flat()) checkButton(button);
  return rows.flat().length === 0 ? undefined : (markup as TgReplyMarkup);
}

function checkButton(button: unknown): void {
  if (!isObject(button) || typeof button.text !== 'string' || button.text === '') {
    throw badRequest('can\'t parse inline keyboard button: Field "text" must be of type String');
  }
  const hasData = button.callback_data !== undefined;
  if (hasData === (button.url !== undefined)) {
    throw badRequest("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard");
  }
  if (hasData) {
    const data = button.callback_data;
    const bytes = typeof data === 'string' ? Buffer.byteLength(data, 'utf8') : 0;
    if (bytes < 1 || bytes > MAX_CALLBACK_DATA_BYTES) throw badRequest('BUTTON_DATA_INVALID');
  } else if (!isHttpUrl(button.url)) {
    throw badRequest('BUTTON_URL_INVALID');
  }
}

function isHttpUrl(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    return ['http:', 'https:', 'tg:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Flood limits

/** Classic token bucket: `capacity` at once, refilled at `perSecond`. */
class TokenBucket {
  private tokens: number;
  private last = performance.now();

  constructor(
    private readonly capacity: number,
    private readonly perSecond: number,
  ) {
    this.tokens = capacity;
  }

  hasToken(): boolean {
    this.refill();
    return this.tokens >= 1;
  }

  take(): void {
    this.tokens -= 1;
  }

  secondsUntilToken(): number {
    this.refill();
    return this.tokens >= 1 ? 0 : (1 - this.tokens) / this.perSecond;
  }

  private refill(): void {
    const now = performance.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
  }
}

// ---------------------------------------------------------------------------------------------
// The server

type Handler = (params: Params, signal: AbortSignal) => unknown;
type PollEnd = 'update' | 'timeout' | 'aborted' | 'conflict' | 'closed';

const CHAT_ACTIONS = new Set([
  'typing',
  'upload_photo',
  'record_video',
  'upload_video',
  'record_voice',
  'upload_voice',
  'upload_document',
  'choose_sticker',
  'find_location',
  'record_video_note',
  'upload_video_note',
]);

const QUERY_TOO_OLD = 'query is too old and response timeout expired or query ID is invalid';
const NOT_MODIFIED =
  'message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message';

const unixTime = () => Math.floor(Date.now() / 1000);

class FakeTelegramServer implements FakeTelegram {
  readonly token: string;
  readonly username: string;
  readonly calls: RecordedCall[] = [];
  readonly stats = { tooMany: 0 };
  readonly queries = new Map<string, CallbackQueryRecord>();
  readonly webhook: { url: string; secret_token?: string } = { url: '' };
  url = '';

  private readonly server: Server;
  private readonly limits: Required<Omit<FakeTelegramOptions, 'token' | 'username'>>;
  private readonly handlers: Map<string, { name: string; handler: Handler }>;
  private readonly stored = new Map<string, StoredMessage[]>();
  private readonly lastMessageId = new Map<string, number>();
  private readonly blocked = new Set<string>();
  private readonly failures = new Map<string, { remaining: number; error: TelegramError; passing: number }>();
  private chatBuckets = new Map<string, TokenBucket>();
  private globalBucket: TokenBucket;
  private queue: TgUpdate[] = [];
  private pendingPoll?: (end: PollEnd) => void;
  private updateCounter = 874_300_000;
  private queryCounter = 0;

  constructor(opts: FakeTelegramOptions) {
    this.token = opts.token ?? '123456:TEST-token';
    this.username = opts.username ?? 'TandemHubBot';
    this.limits = {
      perChatBurst: opts.perChatBurst ?? 3,
      perChatRate: opts.perChatRate ?? 1,
      globalRate: opts.globalRate ?? 30,
      retryAfter: opts.retryAfter ?? 1,
    };
    this.globalBucket = this.newGlobalBucket();
    this.handlers = this.buildHandlers();
    // Plain status + setHeader + end: restify patches ServerResponse so writeHead() returns undefined.
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}`;
  }

  async close(): Promise<void> {
    this.pendingPoll?.('closed');
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // --- test-facing helpers ---

  pushUpdate(update: TgUpdate): void {
    this.queue.push(update);
    this.pendingPoll?.('update');
  }

  nextUpdateId(): number {
    return ++this.updateCounter;
  }

  message(chatId: number | string, text: string, opts: MessageOptions = {}): TgUpdate {
    const key = String(chatId);
    const update = telegramFixture('message', {
      updateId: this.nextUpdateId(),
      chatId: Number(chatId),
      messageId: this.nextMessageId(key),
      text,
    });
    const message = update.message as TgMessage;
    message.date = unixTime();
    if (opts.entities) message.entities = opts.entities;
    if (opts.from) applyFrom(message, opts.from);
    return update;
  }

  callbackQuery(chatId: number | string, messageId: number, data: string, from?: Partial<TgUser>): TgUpdate {
    const key = String(chatId);
    const stored = this.findMessage(key, messageId);
    if (!stored) throw new Error(`fake Telegram: chat ${key} has no bot message ${messageId} to tap on`);
    const update = telegramFixture('callback_query', {
      updateId: this.nextUpdateId(),
      chatId: Number(chatId),
      data,
    });
    const query = update.callback_query;
    if (!query) throw new Error('fake Telegram: callback_query fixture has no callback_query');
    query.id = this.nextQueryId();
    query.message = this.toMessage(stored);
    query.chat_instance = chatInstance(key);
    if (from) query.from = { ...query.from, ...from };
    this.queries.set(query.id, { id: query.id, chatId: key, messageId, data, issuedAt: Date.now() });
    return update;
  }

  block(chatId: number | string): void {
    this.blocked.add(String(chatId));
  }

  failNext(method: string, count: number, error: TelegramError, opts: { after?: number } = {}): void {
    this.failures.set(method.toLowerCase(), { remaining: count, error, passing: opts.after ?? 0 });
  }

  callsOf(method: string): RecordedCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  messages(chatId: number | string): StoredMessage[] {
    return [...(this.stored.get(String(chatId)) ?? [])];
  }

  lastMessage(chatId: number | string): StoredMessage | undefined {
    return this.stored.get(String(chatId))?.at(-1);
  }

  async waitFor(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
    await pollUntil(predicate, timeoutMs, (lastError) => this.timeoutError(timeoutMs, lastError));
  }

  reset(): void {
    this.calls.length = 0;
    this.stats.tooMany = 0;
    this.stored.clear();
    this.lastMessageId.clear();
    this.blocked.clear();
    this.failures.clear();
    this.queries.clear();
    this.queue = [];
    this.webhook.url = '';
    this.webhook.secret_token = undefined;
    this.chatBuckets = new Map();
    this.globalBucket = this.newGlobalBucket();
  }

  // --- HTTP plumbing ---

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = Date.now();
    const url = new URL(req.url ?? '/', 'http://fake-telegram');
    // res 'close' before we answer = the client went away (an aborted long poll).
    const gone = new AbortController();
    res.once('close', () => gone.abort());
    let method = url.pathname.split('/').at(-1) ?? '';
    let params: Params = {};
    let status = 200;
    let body: object;
    try {
      params = await readParams(req, url.searchParams);
      const route = this.route(url.pathname);
      method = route.name;
      this.injectedFailure(method);
      body = { ok: true, result: await route.handler(params, gone.signal) };
    } catch (err) {
      const error =
        err instanceof ApiError ? err : new ApiError(500, `Internal Server Error: ${String(err)}`);
      status = error.code;
      body = envelope(error);
    }
    if (status === 429) this.stats.tooMany++;
    const chatId = str(params, 'chat_id');
    this.calls.push({ method, params, at, status, ...(chatId !== undefined && { chatId }) });
    res.statusCode = status;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(body));
  }

  private route(path: string): { name: string; handler: Handler } {
    const m = /^\/bot([^/]*)\/([^/]+)$/.exec(path);
    if (!m) throw new ApiError(404, 'Not Found');
    if (m[1] !== this.token) throw new ApiError(401, 'Unauthorized');
    // Telegram matches method names case-insensitively.
    const route = this.handlers.get((m[2] ?? '').toLowerCase());
    if (!route) throw new ApiError(404, 'Not Found: method not found');
    return route;
  }

  private injectedFailure(method: string): void {
    const failure = this.failures.get(method.toLowerCase());
    if (!failure || failure.remaining <= 0) return;
    if (failure.passing > 0) {
      failure.passing--;
      return;
    }
    failure.remaining--;
    const { error_code, description, retry_after } = failure.error;
    throw new ApiError(error_code, description, retry_after);
  }

  private buildHandlers(): Map<string, { name: string; handler: Handler }> {
    const handlers: Record<string, Handler> = {
      getMe: () => ({ ...this.botUser(), can_join_groups: true, can_read_all_group_messages: false }),
      getUpdates: (p, signal) => this.getUpdates(p, signal),
      setWebhook: (p) => this.setWebhook(p),
      deleteWebhook: (p) => this.deleteWebhook(p),
      getWebhookInfo: () => this.webhookInfo(),
      sendMessage: (p) => this.sendMessage(p),
      editMessageText: (p) => this.editMessageText(p),
      editMessageReplyMarkup: (p) => this.editMessageReplyMarkup(p),
      deleteMessage: (p) => this.deleteMessage(p),
      sendChatAction: (p) => this.sendChatAction(p),
      answerCallbackQuery: (p) => this.answerCallbackQuery(p),
    };
    return new Map(
      Object.entries(handlers).map(([name, handler]) => [name.toLowerCase(), { name, handler }]),
    );
  }

  // --- updates ---

  private async getUpdates(p: Params, signal: AbortSignal): Promise<TgUpdate[]> {
    if (this.webhook.url) {
      throw new ApiError(
        409,
        "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
      );
    }
    this.confirm(int(p, 'offset') ?? 0);
    // Like Telegram, a newer poll ends the pending one: two pollers mean two bot instances.
    this.pendingPoll?.('conflict');
    const timeout = Math.max(0, int(p, 'timeout') ?? 0);
    if (this.queue.length === 0 && timeout > 0) {
      const end = await this.waitForUpdate(timeout * 1000, signal);
      if (end === 'conflict') {
        throw new ApiError(
          409,
          'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running',
        );
      }
    }
    const limit = Math.min(100, Math.max(1, int(p, 'limit') ?? 100));
    return this.queue.slice(0, limit);
  }

  /** A positive offset confirms every update below it; a negative one keeps only the last -offset. */
  private confirm(offset: number): void {
    if (offset > 0) this.queue = this.queue.filter((u) => u.update_id >= offset);
    else if (offset < 0) this.queue = this.queue.slice(offset);
  }

  private waitForUpdate(ms: number, signal: AbortSignal): Promise<PollEnd> {
    return new Promise((resolve) => {
      const end = (reason: PollEnd) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        if (this.pendingPoll === end) this.pendingPoll = undefined;
        resolve(reason);
      };
      const onAbort = () => end('aborted');
      const timer = setTimeout(() => end('timeout'), ms);
      signal.addEventListener('abort', onAbort, { once: true });
      this.pendingPoll = end;
    });
  }

  private setWebhook(p: Params): true {
    const secret = str(p, 'secret_token');
    if (secret !== undefined && !/^[A-Za-z0-9_-]{1,256}$/.test(secret)) {
      throw badRequest('secret token contains unallowed characters');
    }
    // Unlike Telegram, plain http is accepted: the webhook under test listens on localhost.
    this.webhook.url = str(p, 'url') ?? '';
    this.webhook.secret_token = this.webhook.url ? secret : undefined;
    if (p.drop_pending_updates === true) this.queue = [];
    return true;
  }

  private deleteWebhook(p: Params): true {
    this.webhook.url = '';
    this.webhook.secret_token = undefined;
    if (p.drop_pending_updates === true) this.queue = [];
    return true;
  }

  private webhookInfo(): object {
    // Telegram never echoes the secret token; tests read fake.webhook instead.
    return { url: this.webhook.url, has_custom_certificate: false, pending_update_count: this.queue.length };
  }

  // --- messages ---

  private sendMessage(p: Params): TgMessage {
    const chatId = this.requireChat(p);
    this.checkNotBlocked(chatId);
    const content = renderText(p);
    const reply_markup = checkMarkup(p.reply_markup);
    this.takeFloodToken(chatId);
    const message: StoredMessage = {
      message_id: this.nextMessageId(chatId),
      chatId,
      date: unixTime(),
      ...content,
      ...(reply_markup && { reply_markup }),
    };
    this.chatMessages(chatId).push(message);
    return this.toMessage(message);
  }

  private editMessageText(p: Params): TgMessage {
    const chatId = this.requireChat(p);
    this.checkNotBlocked(chatId);
    const message = this.requireMessage(chatId, p, 'message to edit not found');
    const content = renderText(p);
    // As in Telegram, editing the text without reply_markup removes the inline keyboard.
    const reply_markup = checkMarkup(p.reply_markup);
    const same =
      content.text === message.text &&
      sameJson(content.entities, message.entities) &&
      sameJson(reply_markup, message.reply_markup);
    if (same) throw badRequest(NOT_MODIFIED);
    this.takeFloodToken(chatId);
    Object.assign(message, content, { reply_markup, edit_date: unixTime() });
    return this.toMessage(message);
  }

  private editMessageReplyMarkup(p: Params): TgMessage {
    const chatId = this.requireChat(p);
    this.checkNotBlocked(chatId);
    const message = this.requireMessage(chatId, p, 'message to edit not found');
    const reply_markup = checkMarkup(p.reply_markup);
    if (sameJson(reply_markup, message.reply_markup)) throw badRequest(NOT_MODIFIED);
    this.takeFloodToken(chatId);
    message.reply_markup = reply_markup;
    message.edit_date = unixTime();
    return this.toMessage(message);
  }

  private deleteMessage(p: Params): true {
    const chatId = this.requireChat(p);
    const message = this.requireMessage(chatId, p, 'message to delete not found');
    const list = this.chatMessages(chatId);
    list.splice(list.indexOf(message), 1);
    return true;
  }

  private sendChatAction(p: Params): true {
    const chatId = this.requireChat(p);
    this.checkNotBlocked(chatId);
    if (!CHAT_ACTIONS.has(str(p, 'action') ?? '')) throw badRequest('wrong parameter action in request');
    return true;
  }

  private answerCallbackQuery(p: Params): true {
    const query = this.queries.get(str(p, 'callback_query_id') ?? '');
    if (!query || query.answeredAt !== undefined) throw badRequest(QUERY_TOO_OLD);
    const text = str(p, 'text');
    if (text !== undefined && text.length > 200) throw badRequest('MESSAGE_TOO_LONG');
    query.answeredAt = Date.now();
    query.text = text;
    query.show_alert = p.show_alert === true;
    return true;
  }

  // --- shared checks and state ---

  private requireChat(p: Params): string {
    const chatId = str(p, 'chat_id');
    if (!chatId) throw badRequest('chat not found');
    return chatId;
  }

  private checkNotBlocked(chatId: string): void {
    if (this.blocked.has(chatId)) throw new ApiError(403, 'Forbidden: bot was blocked by the user');
  }

  private requireMessage(chatId: string, p: Params, notFound: string): StoredMessage {
    const message = this.findMessage(chatId, int(p, 'message_id') ?? -1);
    if (!message) throw badRequest(notFound);
    return message;
  }

  /** Both the chat's and the global bucket must have a token; a refused message costs none. */
  private takeFloodToken(chatId: string): void {
    const chat = this.chatBucket(chatId);
    if (chat.hasToken() && this.globalBucket.hasToken()) {
      chat.take();
      this.globalBucket.take();
      return;
    }
    // retry_after is never shorter than the real wait, so a client honouring it gets through.
    const wait = Math.max(chat.secondsUntilToken(), this.globalBucket.secondsUntilToken());
    const retryAfter = Math.max(this.limits.retryAfter, Math.ceil(wait));
    throw new ApiError(429, `Too Many Requests: retry after ${retryAfter}`, retryAfter);
  }

  private chatBucket(chatId: string): TokenBucket {
    let bucket = this.chatBuckets.get(chatId);
    if (!bucket) {
      bucket = new TokenBucket(this.limits.perChatBurst, this.limits.perChatRate);
      this.chatBuckets.set(chatId, bucket);
    }
    return bucket;
  }

  private newGlobalBucket(): TokenBucket {
    return new TokenBucket(this.limits.globalRate, this.limits.globalRate);
  }

  private chatMessages(chatId: string): StoredMessage[] {
    let list = this.stored.get(chatId);
    if (!list) {
      list = [];
      this.stored.set(chatId, list);
    }
    return list;
  }

  private findMessage(chatId: string, messageId: number): StoredMessage | undefined {
    return this.stored.get(chatId)?.find((m) => m.message_id === messageId);
  }

  /** One id sequence per chat, shared by the user's and the bot's messages, as in a private chat. */
  private nextMessageId(chatId: string): number {
    const id = (this.lastMessageId.get(chatId) ?? 0) + 1;
    this.lastMessageId.set(chatId, id);
    return id;
  }

  private nextQueryId(): string {
    // Telegram query ids are opaque 19-digit strings.
    return (BigInt(Date.now()) * 1_000_000n + BigInt(++this.queryCounter)).toString();
  }

  private botUser(): TgUser {
    const id = Number(this.token.split(':')[0]) || 123456;
    return { id, is_bot: true, first_name: 'Tandem', username: this.username };
  }

  private toMessage(stored: StoredMessage): TgMessage {
    const id = Number(stored.chatId);
    return {
      message_id: stored.message_id,
      from: this.botUser(),
      chat: { id, type: id < 0 ? 'group' : 'private' },
      date: stored.date,
      ...(stored.edit_date !== undefined && { edit_date: stored.edit_date }),
      text: stored.text,
      ...(stored.entities.length > 0 && { entities: stored.entities }),
      ...(stored.reply_markup && { reply_markup: stored.reply_markup }),
    };
  }

  private timeoutError(timeoutMs: number, lastError: unknown): Error {
    const recent = this.calls
      .slice(-5)
      .map((c) => `${c.method}${c.chatId ? `(${c.chatId})` : ''} -> ${c.status}`)
      .join(', ');
    const cause = lastError instanceof Error ? `; predicate last threw: ${lastError.message}` : '';
    return new Error(
      `fake Telegram: condition not met within ${timeoutMs} ms${cause}; last calls: ${recent || 'none'}`,
    );
  }
}

function envelope(error: ApiError): object {
  return {
    ok: false,
    error_code: error.code,
    description: error.description,
    ...(error.retryAfter !== undefined && { parameters: { retry_after: error.retryAfter } }),
  };
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Overrides the sender's fields; in a private chat the user is the chat, so its id stays the chat's. */
function applyFrom(message: TgMessage, from: Partial<TgUser>): void {
  const user: TgUser = { ...(message.from as TgUser), ...from, id: message.chat.id };
  message.from = user;
  const chat: TgChat = { id: user.id, type: message.chat.type, first_name: user.first_name };
  if (user.last_name !== undefined) chat.last_name = user.last_name;
  if (user.username !== undefined) chat.username = user.username;
  message.chat = chat;
}

/** Stable per chat, opaque like Telegram's (a signed 64-bit number as a string). */
function chatInstance(chatId: string): string {
  const digest = createHash('sha1').update(chatId).digest('hex').slice(0, 15);
  return `-${BigInt(`0x${digest}`).toString()}`;
}
