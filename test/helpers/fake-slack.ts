import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { pollUntil } from './poll.js';
import { dmChannelOf, type SlackBlock } from './slack-fixtures.js';

/**
 * A fake Slack Web API server for tests. It speaks the real wire protocol (the app talks to it
 * through @slack/web-api's WebClient with `slackApiUrl: fake.url + '/api/'`) and is as strict as
 * Slack on the things that break apps in production: Block Kit limits (invalid_blocks), too-long
 * texts, the "about one message per second per channel" limit (HTTP 429 + Retry-After), bad tokens.
 * Like Slack, it answers errors with HTTP 200 and `{ ok: false, error }`, except 429 and 404.
 */

export type { SlackBlock } from './slack-fixtures.js';

export interface FakeSlackOptions {
  /** The bot token the client must present (Authorization: Bearer, or a `token` field). */
  token?: string;
  botUserId?: string;
  teamId?: string;
  /** chat.postMessage per channel per second (sustained). */
  perChannelRate?: number;
  /** chat.postMessage a channel may receive at once before the limit applies. */
  perChannelBurst?: number;
  /** Minimum Retry-After (seconds) sent with a 429. */
  retryAfter?: number;
}

export type Params = Record<string, unknown>;

export interface RecordedCall {
  method: string;
  /** Decoded: blocks, view, attachments, metadata parsed from their JSON strings; the token left out. */
  params: Params;
  /** Date.now() when the request arrived. */
  at: number;
  /** HTTP status of the answer (200, 429, 404 or an injected one). */
  status: number;
  ok: boolean;
  /** The `error` of a failed call. */
  error?: string;
  /** The target channel, user ids resolved to their DM channel ('U1' -> 'DU1'). */
  channel?: string;
}

export interface StoredMessage {
  channel: string;
  ts: string;
  /** The bot user. */
  user: string;
  /** Current text (after updates). */
  text: string;
  blocks?: SlackBlock[];
  thread_ts?: string;
  /** Set by chat.update. */
  edited?: { user: string; ts: string };
}

export interface StoredEphemeral {
  channel: string;
  /** The only user who sees it. */
  user: string;
  /** The message_ts Slack returned. */
  ts: string;
  text: string;
  blocks?: SlackBlock[];
  /** The thread it shows in, if any. */
  thread_ts?: string;
}

export interface HomeView {
  id: string;
  user_id: string;
  type: 'home';
  blocks: SlackBlock[];
  private_metadata?: string;
  callback_id?: string;
  external_id?: string;
  hash: string;
  /** Date.now() when views.publish stored it. */
  publishedAt: number;
}

export interface SlackUserProfile {
  real_name?: string;
  display_name?: string;
  first_name?: string;
  last_name?: string;
  email?: string;
  title?: string;
  /** IANA zone, e.g. Europe/Paris. */
  tz?: string;
  is_bot?: boolean;
}

export interface SlackFailure {
  /** HTTP status; 200 by default, 429 when only retryAfter is given. */
  status?: number;
  /** The `error` of the `{ ok: false }` body, e.g. 'channel_not_found', 'ratelimited'. */
  error: string;
  /** Sent as the Retry-After header (seconds) with a 429. */
  retryAfter?: number;
}

export interface FakeSlack {
  /** Base URL, e.g. http://127.0.0.1:PORT; the client's slackApiUrl is `${url}/api/`. */
  readonly url: string;
  readonly token: string;
  readonly botUserId: string;
  readonly teamId: string;
  readonly calls: RecordedCall[];
  /** Every 429 answered (rate limit or injected). */
  readonly stats: { ratelimited: number };
  /** Known to users.info. Kept by reset(). */
  addUser(id: string, profile?: SlackUserProfile): void;
  /** The DM channel conversations.open gives for a user ('D' + user id). */
  dmChannel(userId: string): string;
  /**
   * The next `count` calls of `method` (after `after` more that pass) fail with `failure`, after
   * the token check, before any other.
   */
  failNext(method: string, count: number, failure: SlackFailure, opts?: { after?: number }): void;
  /** The next call of `method` is answered only after `ms` (a slow Slack). */
  delayNext(method: string, ms: number): void;
  callsOf(method: string): RecordedCall[];
  /** Stored messages of a channel (a user id means the DM with them), oldest first. */
  messages(channel: string): StoredMessage[];
  lastMessage(channel: string): StoredMessage | undefined;
  ephemerals(channel: string): StoredEphemeral[];
  /** The App Home view last published for the user. */
  home(userId: string): HomeView | undefined;
  waitFor(predicate: () => boolean, timeoutMs?: number): Promise<void>;
  /** Forgets calls, stats, messages, ephemerals, homes, open DMs, buckets, injected failures (not users). */
  reset(): void;
  close(): Promise<void>;
}

export async function startFakeSlack(opts: FakeSlackOptions = {}): Promise<FakeSlack> {
  const fake = new FakeSlackServer(opts);
  await fake.listen();
  return fake;
}

// ---------------------------------------------------------------------------------------------
// Errors and request decoding

/** A refused call: answered as Slack's `{ ok: false, error }` envelope. */
class ApiError extends Error {
  constructor(
    readonly error: string,
    readonly status = 200,
    readonly extra: Record<string, unknown> = {},
    readonly retryAfter?: number,
  ) {
    super(error);
  }
}

/** Sent as JSON strings in form bodies; tests want the objects. */
const JSON_FIELDS = ['blocks', 'view', 'attachments', 'metadata'];
const BOOL_FIELDS = [
  'include_locale',
  'return_im',
  'unfurl_links',
  'unfurl_media',
  'mrkdwn',
  'reply_broadcast',
];

async function readParams(req: IncomingMessage, query: URLSearchParams): Promise<Params> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks).toString('utf8');
  const type = req.headers['content-type'] ?? '';
  const fromBody: Params = {};
  if (body.length > 0 && type.includes('application/json')) {
    try {
      Object.assign(fromBody, JSON.parse(body));
    } catch {
      throw new ApiError('invalid_json');
    }
  } else if (body.length > 0) {
    Object.assign(fromBody, Object.fromEntries(new URLSearchParams(body)));
  }
  return { ...Object.fromEntries(query), ...fromBody };
}

/** Form bodies carry only strings; type the fields tests assert on. Bad JSON stays a string. */
function decodeParams(raw: Params): Params {
  const params = { ...raw };
  delete params.token;
  for (const key of JSON_FIELDS) {
    const value = params[key];
    if (typeof value !== 'string') continue;
    try {
      params[key] = JSON.parse(value);
    } catch {
      // Left as is: the validators answer invalid_blocks_format / invalid_arguments.
    }
  }
  for (const key of BOOL_FIELDS) {
    if (params[key] === 'true' || params[key] === '1') params[key] = true;
    else if (params[key] === 'false' || params[key] === '0') params[key] = false;
  }
  return params;
}

function str(params: Params, key: string): string | undefined {
  const value = params[key];
  if (typeof value === 'string') return value;
  return typeof value === 'number' ? String(value) : undefined;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

// ---------------------------------------------------------------------------------------------
// Block Kit validation, as strict as Slack on the limits that bite

const MAX_TEXT = 40_000;
const MAX_MESSAGE_BLOCKS = 50;
const MAX_VIEW_BLOCKS = 100;

const BLOCK_TYPES = new Set([
  'section',
  'actions',
  'context',
  'header',
  'divider',
  'input',
  'image',
  'rich_text',
  'markdown',
]);

/** Collects Slack-style messages: `<problem> [json-pointer:/blocks/0/...]`. */
class BlockProblems {
  readonly list: string[] = [];

  add(problem: string, pointer: string): void {
    this.list.push(`${problem} [json-pointer:${pointer}]`);
  }
}

function checkBlocks(blocks: unknown[], max: number, root: string, problems: BlockProblems): void {
  if (blocks.length > max) problems.add(`no more than ${max} items allowed`, root);
  const blockIds = new Set<string>();
  blocks.forEach((block, i) => {
    const at = `${root}/${i}`;
    if (!isObject(block)) {
      problems.add('must provide an object', at);
    } else if (typeof block.type !== 'string' || !BLOCK_TYPES.has(block.type)) {
      problems.add(`unsupported type: ${String(block.type)}`, `${at}/type`);
    } else {
      checkBlockId(block.block_id, `${at}/block_id`, blockIds, problems);
      checkBlock(block, at, problems);
    }
  });
}

function checkBlockId(blockId: unknown, at: string, seen: Set<string>, problems: BlockProblems): void {
  if (blockId === undefined) return;
  if (typeof blockId !== 'string' || blockId.length > 255) {
    problems.add('must be less than 256 characters', at);
  } else if (seen.has(blockId)) {
    problems.add(`duplicate block_id: ${blockId}`, at);
  } else {
    seen.add(blockId);
  }
}

function checkBlock(block: Record<string, unknown>, at: string, problems: BlockProblems): void {
  switch (block.type) {
    case 'section':
      checkSection(block, at, problems);
      break;
    case 'header':
      checkText(block.text, `${at}/text`, 150, true, problems);
      break;
    case 'actions':
      checkActions(block.elements, `${at}/elements`, problems);
      break;
    case 'context':
      checkContext(block.elements, `${at}/elements`, problems);
      break;
    case 'input':
      checkText(block.label, `${at}/label`, 2000, true, problems);
      if (!isObject(block.element) || typeof block.element.type !== 'string') {
        problems.add('must provide an object', `${at}/element`);
      }
      break;
    case 'image':
      checkImage(block, at, problems);
      break;
    case 'rich_text':
      if (!Array.isArray(block.elements)) problems.add('must provide an array', `${at}/elements`);
      break;
    case 'markdown':
      if (typeof block.text !== 'string' || block.text.length > 12_000) {
        problems.add('must be a string of at most 12000 characters', `${at}/text`);
      }
      break;
  }
}

function checkSection(block: Record<string, unknown>, at: string, problems: BlockProblems): void {
  if (block.text === undefined && block.fields === undefined) {
    problems.add('must provide either text or fields', at);
  }
  if (block.text !== undefined) checkText(block.text, `${at}/text`, 3000, false, problems);
  if (block.fields !== undefined) {
    if (!Array.isArray(block.fields) || block.fields.length > 10) {
      problems.add('no more than 10 items allowed', `${at}/fields`);
    } else {
      block.fields.forEach((field, i) => {
        checkText(field, `${at}/fields/${i}`, 2000, false, problems);
      });
    }
  }
  if (block.accessory !== undefined) checkElement(block.accessory, `${at}/accessory`, problems);
}

function checkContext(elements: unknown, at: string, problems: BlockProblems): void {
  if (!Array.isArray(elements) || elements.length < 1 || elements.length > 10) {
    problems.add('must provide 1 to 10 elements', at);
    return;
  }
  elements.forEach((element, i) => {
    if (isObject(element) && element.type === 'image') checkImage(element, `${at}/${i}`, problems);
    else checkText(element, `${at}/${i}`, 3000, false, problems);
  });
}

function checkText(
  text: unknown,
  at: string,
  max: number,
  plainOnly: boolean,
  problems: BlockProblems,
): void {
  const types = plainOnly ? ['plain_text'] : ['plain_text', 'mrkdwn'];
  if (!isObject(text)) {
    problems.add('must provide an object', at);
  } else if (!types.includes(String(text.type))) {
    problems.add('must be a valid enum value', `${at}/type`);
  } else if (typeof text.text !== 'string' || text.text.length === 0) {
    problems.add('must be more than 0 characters', `${at}/text`);
  } else if (text.text.length > max) {
    problems.add(`must be less than ${max + 1} characters`, `${at}/text`);
  }
}

function checkImage(image: Record<string, unknown>, at: string, problems: BlockProblems): void {
  if (typeof image.image_url !== 'string' && !isObject(image.slack_file)) {
    problems.add('must provide either image_url or slack_file', at);
  }
  if (typeof image.alt_text !== 'string' || image.alt_text.length === 0) {
    problems.add('must be more than 0 characters', `${at}/alt_text`);
  }
}

function checkActions(elements: unknown, at: string, problems: BlockProblems): void {
  if (!Array.isArray(elements) || elements.length === 0) {
    problems.add('must provide at least 1 element', at);
    return;
  }
  if (elements.length > 25) problems.add('no more than 25 items allowed', at);
  const actionIds = new Set<string>();
  elements.forEach((element, i) => {
    checkElement(element, `${at}/${i}`, problems);
    const actionId = isObject(element) ? element.action_id : undefined;
    if (typeof actionId !== 'string') return;
    if (actionIds.has(actionId)) problems.add(`duplicate action_id: ${actionId}`, `${at}/${i}/action_id`);
    actionIds.add(actionId);
  });
}

function checkElement(element: unknown, at: string, problems: BlockProblems): void {
  if (!isObject(element) || typeof element.type !== 'string') {
    problems.add('must provide an object with a type', at);
    return;
  }
  const limit = (key: string, max: number) => {
    const value = element[key];
    if (value === undefined) return;
    if (typeof value !== 'string') problems.add('must be a string', `${at}/${key}`);
    else if (value.length > max) problems.add(`must be less than ${max + 1} characters`, `${at}/${key}`);
  };
  limit('action_id', 255);
  if (element.type !== 'button') return;
  checkText(element.text, `${at}/text`, 75, true, problems);
  limit('value', 2000);
  limit('url', 3000);
  if (element.style !== undefined && element.style !== 'primary' && element.style !== 'danger') {
    problems.add('must be a valid enum value', `${at}/style`);
  }
}

/** Message blocks: JSON (string or array), at most 50, each valid; `undefined` when absent. */
function messageBlocks(params: Params): SlackBlock[] | undefined {
  const blocks = params.blocks;
  if (blocks === undefined || blocks === '') return undefined;
  if (!Array.isArray(blocks)) throw new ApiError('invalid_blocks_format');
  const problems = new BlockProblems();
  checkBlocks(blocks, MAX_MESSAGE_BLOCKS, '/blocks', problems);
  if (problems.list.length > 0) throw blockError('invalid_blocks', problems);
  return blocks as SlackBlock[];
}

function blockError(error: string, problems: BlockProblems): ApiError {
  return new ApiError(error, 200, {
    errors: problems.list,
    response_metadata: { messages: problems.list.map((p) => `[ERROR] ${p}`) },
  });
}

/** text (≤ 40,000 chars) or blocks or attachments is required. */
function messageContent(params: Params): { text: string; blocks?: SlackBlock[] } {
  const text = str(params, 'text') ?? '';
  const blocks = messageBlocks(params);
  const hasAttachments = Array.isArray(params.attachments) && params.attachments.length > 0;
  if (text === '' && !blocks?.length && !hasAttachments) throw new ApiError('no_text');
  if (text.length > MAX_TEXT) throw new ApiError('msg_too_long');
  return { text, ...(blocks && { blocks }) };
}

// ---------------------------------------------------------------------------------------------
// Rate limits

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

  /** Timers may fire a hair early: a client waiting exactly Retry-After still gets through. */
  hasToken(): boolean {
    this.refill();
    return this.tokens + 0.01 * this.perSecond >= 1;
  }

  take(): void {
    this.tokens = Math.max(0, this.tokens - 1);
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

type Handler = (params: Params) => Record<string, unknown>;

interface StoredUser {
  id: string;
  profile: SlackUserProfile;
}

const TEAM_NAME = 'Tandem Hub 13';
const TEAM_DOMAIN = 'tandem-hub13';
const BOT_ID = 'B07T4NDEMBT';
const APP_ID = 'A07T4NDEM01';

class FakeSlackServer implements FakeSlack {
  readonly token: string;
  readonly botUserId: string;
  readonly teamId: string;
  readonly calls: RecordedCall[] = [];
  readonly stats = { ratelimited: 0 };
  url = '';

  private readonly server: Server;
  private readonly limits: { perChannelRate: number; perChannelBurst: number; retryAfter: number };
  private readonly handlers: Map<string, Handler>;
  private readonly stored = new Map<string, StoredMessage[]>();
  private readonly storedEphemerals = new Map<string, StoredEphemeral[]>();
  private readonly homes = new Map<string, HomeView>();
  private readonly users = new Map<string, StoredUser>();
  private readonly openDms = new Set<string>();
  private readonly failures = new Map<
    string,
    { remaining: number; failure: SlackFailure; passing: number }
  >();
  private buckets = new Map<string, TokenBucket>();
  /** Last message ts handed out, in microseconds (ts are unique and increasing). */
  private lastTsMicros = 0;
  private viewCounter = 0;

  constructor(opts: FakeSlackOptions) {
    this.token = opts.token ?? 'xoxb-test-token';
    this.botUserId = opts.botUserId ?? 'U0TANDEMBOT';
    this.teamId = opts.teamId ?? 'T0HUB13';
    this.limits = {
      perChannelRate: opts.perChannelRate ?? 1,
      perChannelBurst: opts.perChannelBurst ?? 1,
      retryAfter: opts.retryAfter ?? 1,
    };
    this.handlers = this.buildHandlers();
    this.addUser(this.botUserId, { real_name: 'Tandem', display_name: 'tandem', is_bot: true });
    // Plain status + setHeader + end: restify patches ServerResponse so writeHead() returns undefined.
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // --- test-facing helpers ---

  addUser(id: string, profile: SlackUserProfile = {}): void {
    this.users.set(id, { id, profile });
  }

  dmChannel(userId: string): string {
    return dmChannelOf(userId);
  }

  failNext(method: string, count: number, failure: SlackFailure, opts: { after?: number } = {}): void {
    this.failures.set(method, { remaining: count, failure, passing: opts.after ?? 0 });
  }

  private readonly delays = new Map<string, number>();

  delayNext(method: string, ms: number): void {
    this.delays.set(method, ms);
  }

  callsOf(method: string): RecordedCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  messages(channel: string): StoredMessage[] {
    return [...(this.stored.get(this.resolveChannel(channel)) ?? [])];
  }

  lastMessage(channel: string): StoredMessage | undefined {
    return this.stored.get(this.resolveChannel(channel))?.at(-1);
  }

  ephemerals(channel: string): StoredEphemeral[] {
    return [...(this.storedEphemerals.get(this.resolveChannel(channel)) ?? [])];
  }

  home(userId: string): HomeView | undefined {
    return this.homes.get(userId);
  }

  async waitFor(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
    await pollUntil(predicate, timeoutMs, (lastError) => this.timeoutError(timeoutMs, lastError));
  }

  reset(): void {
    this.calls.length = 0;
    this.stats.ratelimited = 0;
    this.stored.clear();
    this.storedEphemerals.clear();
    this.homes.clear();
    this.openDms.clear();
    this.failures.clear();
    this.delays.clear();
    this.buckets = new Map();
  }

  // --- HTTP plumbing ---

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = Date.now();
    const url = new URL(req.url ?? '/', 'http://fake-slack');
    const method = /^\/api\/([^/]+)$/.exec(url.pathname)?.[1] ?? url.pathname;
    let params: Params = {};
    let status = 200;
    let body: Record<string, unknown>;
    let retryAfter: number | undefined;
    try {
      const raw = await readParams(req, url.searchParams);
      params = decodeParams(raw);
      const handler = this.handlers.get(method);
      if (!handler) throw new ApiError('unknown_method', 404, { req_method: method });
      const delay = this.delays.get(method);
      if (delay !== undefined) {
        this.delays.delete(method);
        await sleep(delay);
      }
      this.authenticate(req, raw);
      this.injectedFailure(method);
      body = { ok: true, ...handler(params) };
    } catch (err) {
      const error =
        err instanceof ApiError ? err : new ApiError('internal_error', 500, { detail: String(err) });
      status = error.status;
      retryAfter = error.retryAfter;
      body = { ok: false, error: error.error, ...error.extra };
    }
    if (status === 429) this.stats.ratelimited++;
    const channel = str(params, 'channel');
    this.calls.push({
      method,
      params,
      at,
      status,
      ok: body.ok === true,
      ...(body.ok !== true && { error: String(body.error) }),
      ...(channel !== undefined && { channel: this.resolveChannel(channel) }),
    });
    res.statusCode = status;
    res.setHeader('content-type', 'application/json; charset=utf-8');
    if (retryAfter !== undefined) res.setHeader('retry-after', String(retryAfter));
    res.end(JSON.stringify(body));
  }

  /** Bearer header (what WebClient sends) or a `token` field; Slack answers 200 with an error. */
  private authenticate(req: IncomingMessage, raw: Params): void {
    const header = req.headers.authorization;
    const token = header ? /^Bearer\s+(.*)$/i.exec(header)?.[1] : str(raw, 'token');
    if (!token) throw new ApiError('not_authed');
    if (token !== this.token) throw new ApiError('invalid_auth');
  }

  private injectedFailure(method: string): void {
    const entry = this.failures.get(method);
    if (!entry || entry.remaining <= 0) return;
    if (entry.passing > 0) {
      entry.passing--;
      return;
    }
    entry.remaining--;
    const { error, retryAfter } = entry.failure;
    const status = entry.failure.status ?? (retryAfter !== undefined ? 429 : 200);
    const header = status === 429 ? (retryAfter ?? this.limits.retryAfter) : undefined;
    throw new ApiError(error, status, {}, header);
  }

  private buildHandlers(): Map<string, Handler> {
    const handlers: Record<string, Handler> = {
      'auth.test': () => ({
        url: `https://${TEAM_DOMAIN}.slack.com/`,
        team: TEAM_NAME,
        user: 'tandem',
        team_id: this.teamId,
        user_id: this.botUserId,
        bot_id: BOT_ID,
        is_enterprise_install: false,
      }),
      'conversations.open': (p) => this.conversationsOpen(p),
      'chat.postMessage': (p) => this.postMessage(p),
      'chat.update': (p) => this.update(p),
      'chat.postEphemeral': (p) => this.postEphemeral(p),
      'chat.getPermalink': (p) => this.getPermalink(p),
      'views.publish': (p) => this.publishHome(p),
      'users.info': (p) => this.userInfo(p),
    };
    return new Map(Object.entries(handlers));
  }

  // --- methods ---

  private conversationsOpen(p: Params): Record<string, unknown> {
    const users = (str(p, 'users') ?? '').split(',').filter(Boolean);
    const existing = str(p, 'channel');
    if (users.length === 0 && !existing) throw new ApiError('users_list_not_supplied');
    if (users.length > 8) throw new ApiError('too_many_users');
    const [only] = users;
    // One user: the app's DM with them. More: a group DM, named stably after its members.
    const id =
      existing ?? (only && users.length === 1 ? dmChannelOf(only) : `G${[...users].sort().join('')}`);
    const alreadyOpen = this.openDms.has(id);
    this.openDms.add(id);
    const channel =
      p.return_im === true
        ? {
            id,
            created: Math.floor(Date.now() / 1000),
            is_im: users.length <= 1,
            is_org_shared: false,
            user: only,
            last_read: '0000000000.000000',
            latest: null,
            unread_count: 0,
            unread_count_display: 0,
            is_open: true,
            priority: 0,
          }
        : { id };
    return { no_op: alreadyOpen, already_open: alreadyOpen, channel };
  }

  private postMessage(p: Params): Record<string, unknown> {
    const channel = this.requireChannel(p);
    const content = messageContent(p);
    this.takeRateToken(channel);
    const threadTs = str(p, 'thread_ts');
    const message: StoredMessage = {
      channel,
      ts: this.nextTs(),
      user: this.botUserId,
      ...content,
      ...(threadTs && { thread_ts: threadTs }),
    };
    // As in Slack, a message with replies carries a thread_ts of its own (its ts).
    const parent = threadTs ? this.channelMessages(channel).find((m) => m.ts === threadTs) : undefined;
    if (parent) parent.thread_ts ??= parent.ts;
    this.channelMessages(channel).push(message);
    return { channel, ts: message.ts, message: this.toMessage(message) };
  }

  private update(p: Params): Record<string, unknown> {
    const channel = this.requireChannel(p);
    const message = this.requireMessage(channel, str(p, 'ts'));
    // Slack keeps the previous blocks when none are sent; an empty array removes them.
    const text = str(p, 'text');
    const blocks = messageBlocks(p);
    if (text === undefined && blocks === undefined) throw new ApiError('no_text');
    if (text !== undefined && text.length > MAX_TEXT) throw new ApiError('msg_too_long');
    if (text !== undefined) message.text = text;
    if (blocks !== undefined) {
      if (blocks.length > 0) message.blocks = blocks;
      else delete message.blocks;
    }
    message.edited = { user: this.botUserId, ts: this.nextTs() };
    return { channel, ts: message.ts, text: message.text, message: this.toMessage(message) };
  }

  private postEphemeral(p: Params): Record<string, unknown> {
    const channel = this.requireChannel(p);
    const user = str(p, 'user');
    if (!user) throw new ApiError('user_not_found');
    const content = messageContent(p);
    const threadTs = str(p, 'thread_ts');
    const ephemeral: StoredEphemeral = {
      channel,
      user,
      ts: this.nextTs(),
      ...content,
      ...(threadTs && { thread_ts: threadTs }),
    };
    let list = this.storedEphemerals.get(channel);
    if (!list) {
      list = [];
      this.storedEphemerals.set(channel, list);
    }
    list.push(ephemeral);
    return { message_ts: ephemeral.ts };
  }

  private getPermalink(p: Params): Record<string, unknown> {
    const channel = this.requireChannel(p);
    const message = this.requireMessage(channel, str(p, 'message_ts'));
    const permalink = `https://${TEAM_DOMAIN}.slack.com/archives/${channel}/p${message.ts.replace('.', '')}`;
    return { channel, permalink };
  }

  private publishHome(p: Params): Record<string, unknown> {
    const userId = str(p, 'user_id');
    const view = p.view;
    const problems = new BlockProblems();
    if (!userId) problems.add('missing required field: user_id', '/user_id');
    if (!isObject(view)) {
      problems.add('must provide an object', '/view');
    } else {
      if (view.type !== 'home') problems.add('must be a valid enum value', '/view/type');
      if (!Array.isArray(view.blocks)) problems.add('must provide an array', '/view/blocks');
      else checkBlocks(view.blocks, MAX_VIEW_BLOCKS, '/view/blocks', problems);
    }
    if (problems.list.length > 0 || !userId || !isObject(view))
      throw blockError('invalid_arguments', problems);
    const previous = this.homes.get(userId);
    const hash = str(p, 'hash');
    if (hash !== undefined && previous && hash !== previous.hash) throw new ApiError('hash_conflict');
    const id = previous?.id ?? `V07HOME${String(++this.viewCounter).padStart(4, '0')}`;
    const home: HomeView = {
      id,
      user_id: userId,
      type: 'home',
      blocks: view.blocks as SlackBlock[],
      hash: `${Math.floor(Date.now() / 1000)}.${Math.random().toString(36).slice(2, 10)}`,
      publishedAt: Date.now(),
      ...(typeof view.private_metadata === 'string' && { private_metadata: view.private_metadata }),
      ...(typeof view.callback_id === 'string' && { callback_id: view.callback_id }),
      ...(typeof view.external_id === 'string' && { external_id: view.external_id }),
    };
    this.homes.set(userId, home);
    return {
      view: {
        id,
        team_id: this.teamId,
        type: 'home',
        blocks: home.blocks,
        private_metadata: home.private_metadata ?? '',
        callback_id: home.callback_id ?? '',
        state: { values: {} },
        hash: home.hash,
        title: { type: 'plain_text', text: 'View Title', emoji: true },
        clear_on_close: false,
        notify_on_close: false,
        close: null,
        submit: null,
        previous_view_id: null,
        root_view_id: id,
        app_id: APP_ID,
        external_id: home.external_id ?? '',
        app_installed_team_id: this.teamId,
        bot_id: BOT_ID,
      },
    };
  }

  private userInfo(p: Params): Record<string, unknown> {
    const user = this.users.get(str(p, 'user') ?? '');
    if (!user) throw new ApiError('user_not_found');
    const { profile } = user;
    const realName = profile.real_name ?? [profile.first_name, profile.last_name].filter(Boolean).join(' ');
    const firstName = profile.first_name ?? realName.split(' ')[0] ?? '';
    const lastName = profile.last_name ?? realName.split(' ').slice(1).join(' ');
    const displayName = profile.display_name ?? '';
    const tz = profile.tz ?? 'Europe/Paris';
    return {
      user: {
        id: user.id,
        team_id: this.teamId,
        name: (displayName || realName || user.id).toLowerCase().replace(/\s+/g, '.'),
        deleted: false,
        color: '9f69e7',
        real_name: realName,
        tz,
        tz_label: 'Central European Summer Time',
        tz_offset: 7200,
        profile: {
          title: profile.title ?? '',
          phone: '',
          skype: '',
          real_name: realName,
          real_name_normalized: normalize(realName),
          display_name: displayName,
          display_name_normalized: normalize(displayName),
          fields: null,
          status_text: '',
          status_emoji: '',
          status_expiration: 0,
          avatar_hash: 'g3a1f0c2b9d4',
          ...(profile.email !== undefined && { email: profile.email }),
          first_name: firstName,
          last_name: lastName,
          image_24: `https://secure.gravatar.com/avatar/${user.id}.jpg?s=24`,
          image_72: `https://secure.gravatar.com/avatar/${user.id}.jpg?s=72`,
          image_192: `https://secure.gravatar.com/avatar/${user.id}.jpg?s=192`,
          team: this.teamId,
        },
        is_admin: false,
        is_owner: false,
        is_primary_owner: false,
        is_restricted: false,
        is_ultra_restricted: false,
        is_bot: profile.is_bot === true,
        is_app_user: false,
        updated: 1718200000,
        has_2fa: false,
        ...(p.include_locale === true && { locale: 'fr-FR' }),
      },
    };
  }

  // --- shared checks and state ---

  /** A user id as channel means the app's DM with that user, as in Slack. */
  private resolveChannel(channel: string): string {
    return /^[UW][A-Z0-9]+$/.test(channel) ? dmChannelOf(channel) : channel;
  }

  private requireChannel(p: Params): string {
    const channel = str(p, 'channel');
    if (!channel) throw new ApiError('channel_not_found');
    return this.resolveChannel(channel);
  }

  private requireMessage(channel: string, ts: string | undefined): StoredMessage {
    const message = this.stored.get(channel)?.find((m) => m.ts === ts);
    if (!message) throw new ApiError('message_not_found');
    return message;
  }

  /** A refused message costs no token; Retry-After is never shorter than the real wait. */
  private takeRateToken(channel: string): void {
    let bucket = this.buckets.get(channel);
    if (!bucket) {
      bucket = new TokenBucket(this.limits.perChannelBurst, this.limits.perChannelRate);
      this.buckets.set(channel, bucket);
    }
    if (bucket.hasToken()) {
      bucket.take();
      return;
    }
    const retryAfter = Math.max(this.limits.retryAfter, Math.ceil(bucket.secondsUntilToken()));
    throw new ApiError('ratelimited', 429, {}, retryAfter);
  }

  private channelMessages(channel: string): StoredMessage[] {
    let list = this.stored.get(channel);
    if (!list) {
      list = [];
      this.stored.set(channel, list);
    }
    return list;
  }

  /** Unique, increasing, shaped like Slack's '1718264201.000100'. */
  private nextTs(): string {
    this.lastTsMicros = Math.max(Date.now() * 1000, this.lastTsMicros + 100);
    const seconds = Math.floor(this.lastTsMicros / 1_000_000);
    const micros = this.lastTsMicros % 1_000_000;
    return `${seconds}.${String(micros).padStart(6, '0')}`;
  }

  private toMessage(stored: StoredMessage): Record<string, unknown> {
    return {
      user: stored.user,
      type: 'message',
      ts: stored.ts,
      bot_id: BOT_ID,
      app_id: APP_ID,
      text: stored.text,
      team: this.teamId,
      ...(stored.blocks && { blocks: stored.blocks }),
      ...(stored.thread_ts && { thread_ts: stored.thread_ts }),
      ...(stored.edited && { edited: stored.edited }),
      bot_profile: {
        id: BOT_ID,
        app_id: APP_ID,
        name: 'Tandem',
        deleted: false,
        team_id: this.teamId,
      },
    };
  }

  private timeoutError(timeoutMs: number, lastError: unknown): Error {
    const recent = this.calls
      .slice(-5)
      .map(
        (c) =>
          `${c.method}${c.channel ? `(${c.channel})` : ''} -> ${c.status}${c.error ? ` ${c.error}` : ''}`,
      )
      .join(', ');
    const cause = lastError instanceof Error ? `; predicate last threw: ${lastError.message}` : '';
    return new Error(
      `fake Slack: condition not met within ${timeoutMs} ms${cause}; last calls: ${recent || 'none'}`,
    );
  }
}

/** Slack's *_normalized fields: accents stripped. */
function normalize(name: string): string {
  return name.normalize('NFD').replace(/[\u0300-\u036f]/g, '');
}
