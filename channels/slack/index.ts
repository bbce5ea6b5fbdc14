import { setTimeout as sleep } from 'node:timers/promises';
import { App, type BlockAction, type ButtonAction, LogLevel, SocketModeReceiver, webApi } from '@slack/bolt';
import type { Activity, ConversationAccount } from 'botbuilder';
import { toLocale } from '../../bot/i18n.js';
import { InFlight } from '../../bot/lifecycle.js';
import type { Logger } from '../../bot/log.js';
import { mark } from '../../models/inbound-mark.js';
import type { ChannelDeps } from '../shared/deps.js';
import { KeyboardStore, parseButtonRef } from '../shared/keyboards.js';
import { SendLimiter } from '../shared/limiter.js';
import { readSlackText } from './format.js';
import { Home } from './home.js';
import { SLACK, SlackOutbound } from './outbound.js';
import { RestifyReceiver } from './receiver.js';
import { slashCommand } from './slash.js';

export interface SlackChannel {
  app: App;
  outbound: SlackOutbound;
  /** Resolves once every request received over HTTP so far has been processed. */
  settled(): Promise<void>;
  stop(): Promise<void>;
}

const BOT = { id: 'tandem', name: 'Tandem', role: 'bot' };

/** What Slack answers when it refuses the app's token itself. */
const REFUSED = new Set(['invalid_auth', 'not_authed', 'token_revoked', 'account_inactive']);

/**
 * Who the app is in Slack (auth.test), asked once it answers: a failure is logged, naming the
 * variable when the token is refused, and asked again at the next event.
 */
class BotIdentity {
  private known?: Promise<{ botId?: string; botUserId?: string }>;

  constructor(
    private readonly client: webApi.WebClient,
    private readonly log: Logger,
  ) {}

  get(): Promise<{ botId?: string; botUserId?: string }> {
    this.known ??= this.client.auth.test().then(
      (r) => ({ botId: r.bot_id, botUserId: r.user_id }),
      (err) => {
        this.known = undefined;
        const code = (err as { data?: { error?: string } }).data?.error;
        if (code && REFUSED.has(code))
          this.log.error(
            { code },
            'Slack refuses SLACK_BOT_TOKEN: events cannot be answered until it is replaced',
          );
        else this.log.warn({ err }, 'Slack auth.test failed: asked again at the next event');
        throw err;
      },
    );
    return this.known;
  }
}

/**
 * The Slack channel (mentors): Bolt on our own receiver, on POST /slack/events of the shared
 * server (or Socket Mode when SLACK_APP_TOKEN is set, for development). Off, with one line in the
 * log, when SLACK_BOT_TOKEN is unset.
 */
export function startSlack(deps: ChannelDeps): SlackChannel | undefined {
  const { config, bot } = deps;
  const log = deps.log.child({ channel: SLACK });
  const { botToken, signingSecret, appToken, apiUrl } = config.slack;
  if (!botToken) {
    log.info('Slack channel off: SLACK_BOT_TOKEN is not set');
    return undefined;
  }
  const record = (eventId: string) => mark(deps.conn, `slack|${eventId}`);
  const clientOptions = {
    slackApiUrl: apiUrl,
    // A 429 is waited out (Retry-After), a few times; not the client's default of ~30 minutes.
    retryConfig: { retries: 3, factor: 1.5, minTimeout: 200, maxTimeout: 5_000 },
  };
  // Our client, and our own authorization: given the token, Bolt would call auth.test in its
  // constructor and leave a failure (a revoked token, Slack unreachable at start) unhandled, which
  // stops the process, or cached, which drops every event until a restart.
  const client = new webApi.WebClient(botToken, clientOptions);
  const identity = new BotIdentity(client, log);
  const receiver = appToken
    ? undefined
    : new RestifyReceiver({
        server: deps.server,
        signingSecret: signingSecret ?? '',
        log,
        inFlight: deps.inFlight,
        record,
        ready: () => identity.get(),
      });
  // Socket Mode on our own SocketModeReceiver: Bolt's stop() does not wait for the socket to close
  // (SocketModeReceiver.stop() resolves before client.disconnect() does); stop() below awaits it.
  const socket = appToken
    ? new SocketModeReceiver({ appToken, installerOptions: { clientOptions }, logLevel: LogLevel.WARN })
    : undefined;
  const app = new App({
    authorize: async () => ({ botToken, ...(await identity.get()) }),
    receiver: receiver ?? socket,
    ...(socket && { socketMode: true }),
    clientOptions,
    logLevel: LogLevel.WARN,
  });
  void identity.get().catch(() => {}); // at start, so a refused token is in the log at once

  /** Socket Mode work, tracked for settled() and the graceful shutdown as RestifyReceiver does. */
  const running = new InFlight();
  if (socket) {
    app.use(async ({ body, next }) => {
      const work = async () => {
        // In Socket Mode an event can come again (after a reconnection, Bolt having acknowledged it
        // before this middleware runs): dedupe here, as the HTTP receiver does.
        const eventId = (body as { event_id?: unknown }).event_id;
        if (typeof eventId === 'string' && !(await record(eventId))) {
          log.info('Slack retried an event already received: dropped');
          return;
        }
        await next();
      };
      await deps.inFlight.track(() => running.track(work));
    });
  }
  const keyboards = new KeyboardStore(deps.conn, SLACK);
  const outbound = new SlackOutbound({
    client,
    keyboards,
    people: bot.services.people,
    limiter: new SendLimiter({ global: 50, perChat: config.slack.perChannel, chatBurst: 1 }),
    log,
    inFlight: deps.inFlight,
  });
  bot.adapter.register(outbound);
  const turn = (activity: Partial<Activity>, recorded = true) =>
    bot.engine.process(
      { channelId: SLACK, recipient: BOT, locale: 'fr', timestamp: new Date(), ...activity },
      { recorded },
    );
  const home = new Home({
    client,
    people: bot.services.people,
    proposals: bot.services.proposals,
    i18n: bot.i18n,
    log,
    setStatus: (personId, to, from) => bot.services.matchmaker.setMentorStatus(personId, to, from),
    // "Modifier mon profil" opens the summary in the direct message, as a turn of its own.
    edit: async (userId, channel) => {
      await turn(
        {
          type: 'event',
          name: 'edit_profile',
          id: `home-edit:${userId}:${Date.now()}`,
          from: { id: userId, name: '' },
          conversation: { id: channel, isGroup: false, conversationType: 'personal', name: '' },
        },
        false,
      );
    },
  });

  // A direct message to the app is a turn of the conversation.
  app.event('message', async ({ event, body, client }) => {
    const m = event as {
      channel_type?: string;
      subtype?: string;
      bot_id?: string;
      user?: string;
      text?: string;
      channel: string;
      thread_ts?: string;
      files?: unknown[];
      message?: { user?: string; bot_id?: string; edited?: unknown; ts?: string; thread_ts?: string };
    };
    // A person's answer edited afterwards: the first one stands, and they are told so privately
    // (the app's own messages change too, as their buttons give way to a choice: not those).
    if (m.channel_type === 'im' && m.subtype === 'message_changed') {
      const edited = m.message;
      if (!edited?.user || edited.bot_id || !edited.edited) return;
      const t = bot.i18n.getFixedT(toLocale((await home.person(edited.user))?.locale));
      const thread = answerThread(edited.ts, edited.thread_ts);
      await client.chat.postEphemeral({
        channel: m.channel,
        ...(thread ? { thread_ts: thread } : {}),
        user: edited.user,
        text: t('slack:edited'),
      });
      return;
    }
    if (m.channel_type !== 'im' || m.bot_id || !m.user) return;
    // A reply in a thread also sent to the conversation is a message like another.
    if (m.subtype && m.subtype !== 'file_share' && m.subtype !== 'thread_broadcast') return;
    const text = readSlackText(m.text ?? '');
    await turn({
      type: 'message',
      id: String((body as { event_id?: string }).event_id ?? ''),
      from: { id: m.user, name: '' },
      conversation: dm(m.channel, m.thread_ts),
      text,
      ...(text.trim() === '' && m.files?.length
        ? { attachments: [{ contentType: 'application/vnd.slack.file' }] }
        : {}),
    });
  });

  // A button of a question or of a standalone card: the first click answers it (and another
  // option of a multi-select, clicked before the buttons came off); another, or one on a past
  // question, is told so privately and changes nothing.
  app.action<BlockAction<ButtonAction>>(/^tandem_\d+$/, async ({ ack, body, action, client }) => {
    await ack();
    const channel = body.container?.channel_id ?? body.channel?.id ?? '';
    const ts = body.container?.message_ts ?? '';
    const thread = answerThread(
      ts,
      (body.container?.thread_ts ?? body.message?.thread_ts) as string | undefined,
    );
    const { key, n } = parseButtonRef(action.value);
    const outcome = await keyboards.press(channel, key, n);
    if (outcome.kind === 'repeated' || outcome.kind === 'stale') {
      const t = bot.i18n.getFixedT(toLocale((await home.person(body.user.id))?.locale));
      await client.chat.postEphemeral({
        channel,
        ...(thread ? { thread_ts: thread } : {}),
        user: body.user.id,
        text: t(outcome.kind === 'repeated' ? 'slack:press.already_taken' : 'slack:press.stale'),
      });
      return;
    }
    const { title, value } = outcome.button;
    // The buttons give way to the choice, in the background: the next question does not wait. A
    // late press (another option of a multi-select) finds them on their way off already.
    if (outcome.kind === 'fresh') outbound.retire(channel, outcome.messages, { ts, title });
    await turn({
      type: 'message',
      id: outcome.kind === 'fresh' ? `action:${channel}:${ts}:${key}` : `action:${channel}:${ts}:${key}:${n}`,
      from: { id: body.user.id, name: '' },
      conversation: dm(channel, thread),
      text: title,
      value,
    });
  });

  // A link button opens its page in the browser; Slack still expects an acknowledgement.
  app.action(/^tandem_link_\d+$/, async ({ ack }) => {
    await ack();
  });

  app.event('app_home_opened', async ({ event }) => {
    if (event.tab === 'home') await home.publish(event.user);
  });
  app.action<BlockAction<ButtonAction>>(/^home_/, async ({ ack, body, action }) => {
    await ack();
    await home.act(body.user.id, action.action_id);
  });

  app.command('/tandem', async ({ ack, command }) => {
    let answer: Awaited<ReturnType<typeof slashCommand>>;
    try {
      answer = await slashCommand(command.text, command.user_id, { bot, home });
    } catch (err) {
      // Acknowledged all the same, with words: Slack would show only "operation_timeout".
      log.error({ err }, 'Slack: /tandem failed');
      const t = bot.i18n.getFixedT(toLocale(undefined));
      await ack({ response_type: 'ephemeral', text: t('common:error.technical') });
      return;
    }
    await ack({ response_type: 'ephemeral', text: answer.text });
    if (answer.changed) await home.publish(command.user_id);
  });

  app.error(async (err) => {
    log.error({ err }, 'Slack listener failed');
  });

  if (appToken) {
    void app
      .start()
      .then(() => log.info('Slack channel on (Socket Mode)'))
      .catch((err) => log.error({ err }, 'Slack Socket Mode failed to start'));
  } else {
    log.info('Slack channel on (HTTP events on /slack/events)');
  }
  return {
    app,
    outbound,
    settled: async () => {
      await (receiver ? receiver.settled() : running.settled());
      await outbound.idle();
    },
    // Socket Mode: the close handshake done (or given up after 2 s) before it resolves, so no event
    // comes in after; the caller then drains deps.inFlight, where the socket's work is tracked.
    stop: async () => {
      if (!socket) return void (await app.stop().catch(() => {}));
      await Promise.race([
        socket.client.disconnect().catch(() => {}),
        sleep(2_000, undefined, { ref: false }),
      ]);
    },
  };
}

/**
 * The thread message `ts` is in, to answer there: none for a message that has a thread under it
 * (Slack gives it its own ts as `thread_ts`), whose answer goes beside it.
 */
function answerThread(ts: string | undefined, threadTs: string | undefined): string | undefined {
  return threadTs !== ts ? threadTs : undefined;
}

/**
 * The direct message a turn comes from. A message in a thread is answered in that thread (its
 * `thread_ts`, which the outbound posts with); messages sent later on their own go to the
 * conversation itself.
 */
function dm(channel: string, threadTs: string | undefined): ConversationAccount {
  return {
    id: channel,
    isGroup: false,
    conversationType: 'personal',
    name: '',
    ...(threadTs ? { properties: { threadTs } } : {}),
  };
}
