import type { WebClient } from '@slack/web-api';
import type { Activity, ConversationReference, ResourceResponse } from 'botbuilder';
import { Lru } from '../../bot/db/lru.js';
import type { ChannelOutbound } from '../../bot/engine/channel.js';
import { UnreachableError } from '../../bot/errors.js';
import type { Logger } from '../../bot/log.js';
import type { PeopleService } from '../../bot/services/people.js';
import { buttonRef, type KeyboardStore } from '../shared/keyboards.js';
import type { SendLimiter } from '../shared/limiter.js';
import { answeredBlocks, type KnownBlock, render, withKey } from './format.js';

export const SLACK = 'slack';

/** Slack errors that mean the person cannot be written to any more. */
const GONE = new Set([
  'account_inactive',
  'user_disabled',
  'is_archived',
  'channel_not_found',
  'not_in_channel',
]);

/**
 * Renders a turn's replies as one Block Kit message (rarely more) in the person's direct message
 * with the app. Buttons carry `<key>:<n>`; the choices stay in the keyboard store. Messages are
 * paced to about one a second per conversation; a 429 is retried by the Web API client after its
 * Retry-After.
 */
export class SlackOutbound implements ChannelOutbound {
  readonly id = SLACK;
  readonly defaultRole = 'mentor' as const;
  /** ts -> blocks of the messages with buttons this process sent, to take the buttons off later. */
  private readonly sent = new Lru<string, KnownBlock[]>(10_000);

  constructor(
    private readonly deps: {
      client: WebClient;
      keyboards: KeyboardStore;
      people: PeopleService;
      limiter: SendLimiter;
      log: Logger;
    },
  ) {}

  async send(
    ref: Partial<ConversationReference>,
    activities: Partial<Activity>[],
  ): Promise<ResourceResponse[]> {
    const channel = ref.conversation?.id ?? '';
    try {
      return await this.sendAll(channel, activities);
    } catch (err) {
      const code = (err as { data?: { error?: string } }).data?.error;
      if (code && GONE.has(code)) {
        this.deps.log.info({ channel, code }, 'slack: the person cannot be reached; marked unreachable');
        await this.deps.people.markUnreachable(SLACK, ref.user?.id ?? '');
        throw new UnreachableError(SLACK, err);
      }
      throw err;
    }
  }

  private async sendAll(channel: string, activities: Partial<Activity>[]): Promise<ResourceResponse[]> {
    const { keyboards, client, limiter } = this.deps;
    const messages = render(activities);
    const choices = messages.flatMap((m) => m.choices);
    let key = '';
    if (choices.length > 0) {
      const opened = await keyboards.openKeyboard(channel, choices);
      key = opened.key;
      await this.retire(channel, opened.superseded);
    } else {
      await this.retire(channel, await keyboards.closeKeyboard(channel));
    }
    const out: ResourceResponse[] = [];
    const withButtons: string[] = [];
    for (const message of messages) {
      const blocks = withKey(message.blocks, (n) => buttonRef(key, n));
      await limiter.acquire(channel);
      const posted = await client.chat.postMessage({ channel, text: message.text || ' ', blocks });
      const ts = posted.ts ?? '';
      out.push({ id: ts });
      if (message.choices.length > 0) {
        withButtons.push(ts);
        this.sent.set(ts, blocks);
      }
    }
    if (withButtons.length > 0) await keyboards.keyboardSent(channel, key, withButtons);
    return out;
  }

  /** Older questions lose their buttons, so that they cannot be answered again. */
  private async retire(channel: string, stale: string[]): Promise<void> {
    await Promise.all(stale.map((ts) => this.answered(channel, ts, undefined)));
  }

  /**
   * Replaces a message's buttons with the choice made (or with nothing, when the question passed
   * unanswered). `blocks`: the message as Slack showed it, when known.
   */
  async answered(
    channel: string,
    ts: string,
    choice: string | undefined,
    blocks?: KnownBlock[],
  ): Promise<void> {
    const shown = blocks ?? this.sent.get(ts);
    this.sent.delete(ts);
    if (!shown) return;
    const kept =
      choice === undefined ? shown.filter((b) => b.type !== 'actions') : answeredBlocks(shown, choice);
    try {
      await this.deps.client.chat.update({ channel, ts, blocks: kept, text: ' ' });
    } catch (err) {
      this.deps.log.debug({ err, channel }, 'slack: could not take the buttons off an old message');
    }
  }
}
