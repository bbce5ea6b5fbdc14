import type { Activity, CardAction, ConversationReference, ResourceResponse } from 'botbuilder';
import type { Connection } from 'mongoose';
import { type Bot, createBot } from '../../bot/bot.js';
import { loadConfig } from '../../bot/config.js';
import type { ChannelOutbound } from '../../bot/engine/channel.js';
import type { ButtonValue } from '../../bot/engine/reply.js';
import type { Role } from '../../models/person.js';
import { silentLog } from './db.js';

/**
 * A channel for transcript tests: it implements the real outbound contract and keeps what the bot
 * sends, per conversation. Activities are JSON round-tripped, as a real channel would serialize them.
 */
export class RecordingChannel implements ChannelOutbound {
  readonly sent = new Map<string, Partial<Activity>[]>();
  constructor(
    readonly id = 'test',
    readonly defaultRole: Role = 'mentee',
  ) {}

  async send(
    ref: Partial<ConversationReference>,
    activities: Partial<Activity>[],
  ): Promise<ResourceResponse[]> {
    const key = ref.conversation?.id ?? '';
    const list = this.sent.get(key) ?? [];
    list.push(...JSON.parse(JSON.stringify(activities)));
    this.sent.set(key, list);
    return activities.map((_, i) => ({ id: `${key}-${list.length - activities.length + i}` }));
  }
}

export interface Reply {
  text: string;
  buttons: Array<{ title: string; value: ButtonValue }>;
}

export interface TestBot {
  bot: Bot;
  /** The same bot on another channel (its own recorded conversations), e.g. mentors on 'slack'. */
  on(channelId: string, role: Role): TestBot;
  channel: RecordingChannel;
  /** Sends a message as `user` and returns the bot's replies to it. */
  say(
    user: string,
    input: string | ButtonValue | Partial<Activity>,
    opts?: { id?: string },
  ): Promise<Reply[]>;
  /** The buttons of the last reply to `user` that had any. */
  lastButtons(user: string): Reply['buttons'];
  /** Presses the button of the last reply whose title matches. */
  press(user: string, title: string | RegExp): Promise<Reply[]>;
}

let counter = 0;

/** A reply as a person reads it: a hero card counts as its title, subtitle and text, and its buttons. */
export function toReply(a: Partial<Activity>): Reply {
  const card = a.attachments?.find((x) => x.contentType === 'application/vnd.microsoft.card.hero')?.content as
    | { title?: string; subtitle?: string; text?: string; buttons?: CardAction[] }
    | undefined;
  const actions = [...(a.suggestedActions?.actions ?? []), ...(card?.buttons ?? [])];
  return {
    text: [a.text, card?.title, card?.subtitle, card?.text].filter(Boolean).join('\n'),
    buttons: actions.map((x) => ({ title: x.title ?? '', value: x.value as ButtonValue })),
  };
}

export interface TestBotOptions {
  /** Who a stranger on the test channel is (`ChannelOutbound.defaultRole`): 'mentor' as on Slack. */
  role?: Role;
  /** The services' clock (deadlines), when not Date.now. */
  now?: () => number;
  /** Environment variables for the config (NODE_ENV is 'test'). */
  env?: Record<string, string>;
}

export function makeTestBot(conn: Connection, channelId = 'test', opts: TestBotOptions = {}): TestBot {
  const config = loadConfig({ NODE_ENV: 'test', ...opts.env });
  const bot = createBot({ conn, config, log: silentLog, now: opts.now });
  return onChannel(bot, channelId, opts.role);
}

function onChannel(bot: Bot, channelId: string, role: Role | undefined): TestBot {
  const channel = new RecordingChannel(channelId, role);
  bot.adapter.register(channel);
  const last = new Map<string, Reply['buttons']>();

  const say: TestBot['say'] = async (user, input, opts = {}) => {
    const conversationId = `conv-${user}`;
    const before = channel.sent.get(conversationId)?.length ?? 0;
    const base: Partial<Activity> = {
      type: 'message',
      id: opts.id ?? `m${++counter}-${Date.now()}`,
      channelId,
      from: { id: user, name: user },
      recipient: { id: 'tandem', name: 'Tandem' },
      conversation: { id: conversationId, isGroup: false, conversationType: 'personal', name: '' },
      locale: 'fr-FR',
    };
    const activity: Partial<Activity> =
      typeof input === 'string'
        ? { ...base, text: input }
        : 'q' in input && 'v' in input
          ? { ...base, value: input, text: '' }
          : { ...base, ...input };
    await bot.engine.process(activity);
    const replies = (channel.sent.get(conversationId) ?? []).slice(before).map(toReply);
    const withButtons = [...replies].reverse().find((r) => r.buttons.length > 0);
    if (withButtons) last.set(user, withButtons.buttons);
    return replies;
  };

  const lastButtons = (user: string) => last.get(user) ?? [];

  const press: TestBot['press'] = async (user, title) => {
    const button = lastButtons(user).find((b) =>
      typeof title === 'string' ? b.title === title : title.test(b.title),
    );
    if (!button)
      throw new Error(`no button ${title} in ${JSON.stringify(lastButtons(user).map((b) => b.title))}`);
    return say(user, button.value);
  };

  return { bot, channel, say, lastButtons, press, on: (id, r) => onChannel(bot, id, r) };
}

export const texts = (replies: Reply[]) => replies.map((r) => r.text).join('\n---\n');
