import type { Activity } from 'botbuilder';
import type { i18n } from 'i18next';
import { Api, type CallbackQuery, longPoll } from 'node-telegram-bot-api';
import type { Request, Response, Server } from 'restify';
import { KeyedQueue } from '../../bot/engine/keyed-queue.js';
import { readRawBody, sameSecret } from '../../bot/http/body.js';
import { type TFunction, toLocale } from '../../bot/i18n.js';
import { retryUntilDone } from '../../bot/lifecycle.js';
import type { Logger } from '../../bot/log.js';
import type { ChannelDeps } from '../shared/deps.js';
import { SendLimiter } from '../shared/limiter.js';
import { chatOf, classify, type Inbound, type Update } from './inbound.js';
import { TELEGRAM, TelegramOutbound } from './outbound.js';
import { TelegramStore } from './store.js';

export const WEBHOOK_PATH = '/telegram/webhook';
const ALLOWED_UPDATES = ['message', 'edited_message', 'callback_query'];
/** A turn that takes longer than this shows "typing…". */
const TYPING_AFTER_MS = 1000;
/** An update pending for this long, and not said to be still processing meanwhile, is recovered. */
const RECOVER_AFTER_MS = 60_000;
/** How often a process says which updates it is still processing: well within RECOVER_AFTER_MS. */
const RENEW_MS = 20_000;
/** An update processed for longer than this is stuck: it is no longer said to be in progress. */
const STUCK_AFTER_MS = 10 * 60_000;

export interface TelegramChannel {
  api: Api;
  store: TelegramStore;
  outbound: TelegramOutbound;
  /** Takes one update as Telegram sends it: recorded, then processed in the background. */
  receive(update: Update): Promise<'accepted' | 'duplicate'>;
  /** Processes updates recorded but never processed (the process stopped in between). */
  recover(olderThanMs?: number): Promise<number>;
  /** Says which updates this process is still processing (a timer does, every RENEW_MS). */
  renew(): Promise<void>;
  stop(): Promise<void>;
}

type Deps = ChannelDeps;

/**
 * The Telegram channel: webhook (TELEGRAM_WEBHOOK_URL set) or long polling, on the Bot API server
 * at TELEGRAM_API_ROOT. Off, with one line in the log, when TELEGRAM_BOT_TOKEN is unset. Nothing
 * outside this folder knows it is Telegram.
 */
export function startTelegram(deps: Deps): TelegramChannel | undefined {
  const { config } = deps;
  const log = deps.log.child({ channel: TELEGRAM });
  const token = config.telegram.token;
  if (!token) {
    log.info('Telegram channel off: TELEGRAM_BOT_TOKEN is not set');
    return undefined;
  }
  const api = new Api(token, {
    apiRoot: config.telegram.apiRoot,
    timeoutMs: 15_000,
    maxRetries: 3,
    // A longer flood wait surfaces as an error rather than holding a person's turn.
    maxRetryAfterMs: 30_000,
  });
  const store = new TelegramStore(deps.conn);
  const username = api.getMe().then(
    (me) => me.username,
    (err) => {
      log.error({ err }, 'Telegram getMe failed: links to the bot are unavailable');
      return undefined;
    },
  );
  const outbound = new TelegramOutbound({
    api,
    keyboards: store.keyboards,
    people: deps.bot.services.people,
    limiter: new SendLimiter({ ...config.telegram.limits, chatBurst: 3 }),
    log,
    username,
  });
  deps.bot.adapter.register(outbound);

  const channel = new Receiver({ ...deps, log, api, store, outbound, i18n: deps.bot.i18n });
  const abort = new AbortController();
  const { webhookUrl, webhookSecret } = config.telegram;
  if (webhookUrl && webhookSecret) {
    mountWebhook(deps.server, channel, webhookSecret, log);
    void setWebhookSurely(api, { url: webhookUrl, secret: webhookSecret }, log, abort.signal);
  } else {
    void channel.poll(abort.signal);
    log.info('Telegram channel on (long polling)');
  }
  // Updates acknowledged but never processed (a process died in between): at start, then every
  // minute, whichever process gets there first (a claim per update).
  const recover = () =>
    channel.recover().catch((err) => log.error({ err }, 'Telegram: recovering updates failed'));
  void recover();
  const recovery = setInterval(recover, RECOVER_AFTER_MS);
  recovery.unref();
  // The updates still on their way here are not lost: another process's recovery leaves them.
  const renewal = setInterval(() => {
    channel.renew().catch((err) => log.warn({ err }, 'Telegram: renewing updates in progress failed'));
  }, RENEW_MS);
  renewal.unref();
  return {
    api,
    store,
    outbound,
    receive: (update) => channel.receive(update),
    recover: (olderThanMs) => channel.recover(olderThanMs),
    renew: () => channel.renew(),
    // The renewal goes on (unref'd, idle once nothing is processed): the updates still finishing
    // during the shutdown must not be taken for lost meanwhile.
    stop: async () => {
      clearInterval(recovery);
      abort.abort();
    },
  };
}

/**
 * Tells Telegram where the webhook is, trying again until it answers: Telegram unreachable when
 * the app starts would otherwise leave the bot deaf until the next restart.
 */
async function setWebhookSurely(
  api: Api,
  { url, secret }: { url: string; secret: string },
  log: Logger,
  signal: AbortSignal,
): Promise<void> {
  await retryUntilDone(
    async () => {
      await api.setWebhook({ url, secret_token: secret, allowed_updates: ALLOWED_UPDATES });
      log.info({ url }, 'Telegram channel on (webhook)');
    },
    {
      firstMs: 1000,
      maxMs: 60_000,
      signal,
      failed: (err, retryInMs) =>
        log.error({ err, retryInMs }, 'Telegram setWebhook failed: updates do not arrive until it succeeds'),
    },
  );
}

/** Records, orders and processes updates, however they arrive. */
class Receiver {
  private readonly queue = new KeyedQueue();
  /**
   * Updates this process is processing, and since when: recovery leaves them to it, here and (see
   * renew) in other processes, unless they are stuck.
   */
  private readonly processing = new Map<number, number>();

  constructor(
    private readonly deps: Deps & {
      api: Api;
      store: TelegramStore;
      outbound: TelegramOutbound;
      i18n: i18n;
    },
  ) {}

  /**
   * Records the update (a redelivery, even one arriving at the same moment in another process,
   * hits the unique update_id and is dropped), then processes it in the background. Each update
   * takes its place in its chat's queue as it arrives, so a chat's updates are processed in order;
   * a button press is answered at once, before its turn comes.
   */
  async receive(update: Update): Promise<'accepted' | 'duplicate'> {
    const recorded = this.deps.store.record(update.update_id, chatOf(update) ?? '?', update);
    void this.deps.inFlight
      .track(() => this.process(update, recorded))
      .catch((err) => this.deps.log.error({ err, update: update.update_id }, 'Telegram update failed'));
    return (await recorded) ? 'accepted' : 'duplicate';
  }

  /** Processes a recorded update, in its chat's order, and marks it done. */
  private async process(update: Update, recorded: Promise<boolean>): Promise<void> {
    this.processing.set(update.update_id, Date.now());
    try {
      await this.processNow(update, recorded);
    } finally {
      this.processing.delete(update.update_id);
    }
  }

  private async processNow(update: Update, recorded: Promise<boolean>): Promise<void> {
    const inbound = classify(update);
    const chat = inbound.chat ?? chatOf(update) ?? '?';
    const activity =
      inbound.kind === 'press'
        ? recorded.then((fresh) => (fresh ? this.press(update.update_id, inbound) : undefined))
        : Promise.resolve(inbound.kind === 'turn' ? inbound.activity : undefined);
    // Awaited in the chat's queue; a failed record fails that task first, and must not also count
    // as an unhandled rejection (which would stop the process).
    activity.catch(() => {});
    const done = await this.queue.run(chat, async () => {
      if (!(await recorded)) return false;
      if (inbound.kind === 'ignore') {
        this.deps.log.info({ update: update.update_id, reason: inbound.reason }, 'Telegram update ignored');
      }
      const next = await activity;
      if (next) await this.turn(chat, next);
      return true;
    });
    if (done) await this.deps.store.done(update.update_id);
  }

  /** One turn of the engine, with "typing…" shown if it takes a while. */
  private async turn(chat: string, activity: Partial<Activity>): Promise<void> {
    const typing = setTimeout(() => {
      this.deps.api.sendChatAction({ chat_id: chat, action: 'typing' }).catch(() => {});
    }, TYPING_AFTER_MS);
    try {
      await this.deps.bot.engine.process(activity, { recorded: true });
    } finally {
      clearTimeout(typing);
    }
  }

  /**
   * A button press, answered within the second whatever happens next. The first press of the
   * chat's live keyboard (its question's, or a standalone card's) takes its buttons off and returns
   * the person's answer (for the chat's queue), as does another option of a multi-select pressed
   * before they came off; a repeated or stale one is answered so and changes nothing.
   */
  private async press(
    updateId: number,
    inbound: Extract<Inbound, { kind: 'press' }>,
  ): Promise<Partial<Activity> | undefined> {
    const { store } = this.deps;
    const { chat, query } = inbound;
    let outcome: Awaited<ReturnType<typeof store.keyboards.press>>;
    try {
      outcome = await store.keyboards.press(chat, inbound.key, inbound.n, String(updateId));
    } catch (err) {
      // The spinner stops all the same; the update stays pending, to be processed again.
      await this.answer(query.id);
      throw err;
    }
    const shown = query.message ? [query.message.message_id] : [];
    if (outcome.kind === 'repeated' || outcome.kind === 'stale') {
      const t = await this.tFor(query);
      const key = outcome.kind === 'repeated' ? 'telegram:press.already_taken' : 'telegram:press.stale';
      await this.answer(query.id, t(key));
      if (outcome.kind === 'stale') this.clear(chat, shown);
      return undefined;
    }
    await this.answer(query.id);
    // A late press (another option of a multi-select) finds the buttons on their way off already.
    if (outcome.kind === 'fresh') this.clear(chat, [...outcome.messages.map((m) => Number(m.id)), ...shown]);
    const { title, value } = outcome.button;
    return {
      type: 'message',
      id: `u${updateId}`,
      channelId: TELEGRAM,
      text: title,
      value,
      from: { id: String(query.from.id), name: query.from.first_name },
      recipient: { id: 'tandem', name: 'Tandem', role: 'bot' },
      conversation: { id: chat, isGroup: false, conversationType: 'personal', name: '' },
      locale: query.from.language_code,
      timestamp: new Date(),
    };
  }

  /** The person's language, as in their turns; their Telegram app's until they have one. */
  private async tFor(query: CallbackQuery): Promise<TFunction> {
    const { person } = await this.deps.bot.services.people
      .lookup(TELEGRAM, String(query.from.id))
      .catch(() => ({ person: null }));
    return this.deps.i18n.getFixedT(toLocale(person?.locale ?? query.from.language_code)) as TFunction;
  }

  /** Takes buttons off messages, in the background: the person's turn does not wait for it. */
  private clear(chat: string, messageIds: number[]): void {
    for (const id of new Set(messageIds)) {
      void this.deps.inFlight.track(() => this.deps.outbound.clearButtons(chat, id));
    }
  }

  /** Answers a callback query; one too old to answer (after a restart) is no reason to stop. */
  private async answer(queryId: string, text?: string): Promise<void> {
    try {
      await this.deps.api.answerCallbackQuery({ callback_query_id: queryId, ...(text ? { text } : {}) });
    } catch (err) {
      this.deps.log.warn({ err }, 'Telegram: callback query not answered');
    }
  }

  /** Long polling (development): getUpdates in a loop, each update recorded as a webhook's is. */
  async poll(signal: AbortSignal): Promise<void> {
    const { api, log } = this.deps;
    try {
      await api.deleteWebhook({ drop_pending_updates: false });
      for await (const update of longPoll(
        api,
        {
          timeout: 25,
          allowedUpdates: ALLOWED_UPDATES,
          onError: (err) => log.warn({ err }, 'Telegram polling failed; retrying'),
        },
        signal,
      )) {
        await this.receiveSurely(update as Update, signal);
      }
    } catch (err) {
      if (!signal.aborted) log.error({ err }, 'Telegram polling stopped');
    }
  }

  /**
   * Receives a polled update, trying again until it is recorded: getUpdates has confirmed it
   * already (its offset moved on), so Telegram would not send it again.
   */
  private async receiveSurely(update: Update, signal: AbortSignal): Promise<void> {
    await retryUntilDone(() => this.receive(update), {
      firstMs: 500,
      maxMs: 30_000,
      signal,
      failed: (err, retryInMs) =>
        this.deps.log.error({ err, retryInMs }, 'Telegram update not recorded; trying again'),
    });
  }

  /** Says which updates this process still has; one processed for STUCK_AFTER_MS is left to others. */
  async renew(): Promise<void> {
    const since = Date.now() - STUCK_AFTER_MS;
    const ids = [...this.processing].filter(([, started]) => started >= since).map(([id]) => id);
    const stuck = this.processing.size - ids.length;
    if (stuck > 0) this.deps.log.error({ stuck }, 'Telegram: updates stuck in processing, left to recovery');
    if (ids.length > 0) await this.deps.store.stillProcessing(ids);
  }

  async recover(olderThanMs = RECOVER_AFTER_MS): Promise<number> {
    const { store, log } = this.deps;
    let n = 0;
    for (const doc of await store.pending(olderThanMs)) {
      // Still on its way here (a long queue, a flood wait): not lost, and not to be run twice.
      if (this.processing.has(doc._id) || !doc.raw) continue;
      // One process at a time per update, even if another listed it before this one said it has
      // it: a recovery that fails, or whose process dies, is tried again a minute later.
      // Aged by the next round (of this process too), give or take its timer.
      if (!(await store.claimRecovery(doc._id, RECOVER_AFTER_MS - RENEW_MS))) continue;
      try {
        // Said at once, not at the next renewal: the next round, elsewhere, leaves it to us.
        await store.stillProcessing([doc._id]);
        await this.process(JSON.parse(doc.raw) as Update, Promise.resolve(true));
        n++;
      } catch (err) {
        log.error({ err, update: doc._id }, 'Telegram: recovering an update failed; tried again later');
      }
    }
    if (n > 0) log.info({ updates: n }, 'Telegram updates recovered after a restart');
    return n;
  }
}

/**
 * POST /telegram/webhook: the secret header is checked before the body is even read (401, nothing
 * stored); the update is recorded, then acknowledged, then processed.
 */
function mountWebhook(server: Server, receiver: Receiver, secret: string, log: Logger): void {
  server.post(WEBHOOK_PATH, async (req: Request, res: Response) => {
    if (!sameSecret(req.header('x-telegram-bot-api-secret-token'), secret)) {
      log.warn({ ip: req.socket.remoteAddress }, 'Telegram webhook: bad secret token');
      res.send(401, { ok: false, description: 'Unauthorized' });
      return;
    }
    const update = await readUpdate(req);
    if (!update) {
      res.send(400, { ok: false, description: 'Bad Request: not an update' });
      return;
    }
    try {
      await receiver.receive(update);
      res.send(200, { ok: true });
    } catch (err) {
      // Not recorded: Telegram will deliver it again.
      log.error({ err, update: update.update_id }, 'Telegram webhook: update not recorded');
      res.send(500, { ok: false, description: 'Internal Server Error' });
    }
  });
}

async function readUpdate(req: Request): Promise<Update | undefined> {
  const raw = await readRawBody(req);
  if (raw === undefined) return undefined;
  try {
    const update = JSON.parse(raw) as Update;
    return Number.isSafeInteger(update?.update_id) ? update : undefined;
  } catch {
    return undefined;
  }
}
