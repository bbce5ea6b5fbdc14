import type { WebClient } from '@slack/web-api';
import type { Activity, ConversationReference, ResourceResponse } from 'botbuilder';
import type { ChannelOutbound } from '../../bot/engine/channel.js';
import { isMultiSelect } from '../../bot/engine/reply.js';
import { PartlySentError, type SendProgress, UnreachableError } from '../../bot/errors.js';
import { InFlight } from '../../bot/lifecycle.js';
import type { Logger } from '../../bot/log.js';
import type { PeopleService } from '../../bot/services/people.js';
import { buttonRef, type KeyboardMessage, type KeyboardStore, sendInBatches } from '../shared/keyboards.js';
import type { SendLimiter } from '../shared/limiter.js';
import { answeredBlocks, type KnownBlock, render, withKey } from './format.js';

export const SLACK = 'slack';

/**
 * Slack errors that mean the person cannot be written to any more. Not `account_inactive`: Slack
 * gives it for the app's own token (a deleted or deactivated app), which says nothing of the person.
 */
const GONE = new Set(['user_disabled', 'is_archived', 'channel_not_found', 'not_in_channel']);

/**
 * Renders a turn's replies as one Block Kit message (rarely more) in the person's direct message
 * with the app; a standalone card as a message of its own, under a keyboard of its own that later
 * messages leave alone. Buttons carry `<key>:<n>`; the choices stay in the keyboard store. Messages
 * are paced to about one a second per conversation; a 429 is retried by the Web API client after
 * its Retry-After.
 */
export class SlackOutbound implements ChannelOutbound {
  readonly id = SLACK;
  readonly defaultRole = 'mentor' as const;

  constructor(
    private readonly deps: {
      client: WebClient;
      keyboards: KeyboardStore;
      people: PeopleService;
      limiter: SendLimiter;
      log: Logger;
      inFlight: InFlight;
    },
  ) {}

  async send(
    ref: Partial<ConversationReference>,
    activities: Partial<Activity>[],
  ): Promise<ResourceResponse[]> {
    const channel = ref.conversation?.id ?? '';
    const thread = threadOf(ref);
    const progress: SendProgress = { sent: 0 };
    try {
      return await sendInBatches(activities, (batch, standalone) =>
        this.sendBatch(channel, thread, batch, standalone, progress),
      );
    } catch (err) {
      const code = (err as { data?: { error?: string } }).data?.error;
      if (code && GONE.has(code)) {
        this.deps.log.info({ channel, code }, 'slack: the person cannot be reached; marked unreachable');
        await this.deps.people.markUnreachable(SLACK, ref.user?.id ?? '');
        throw new UnreachableError(SLACK, err);
      }
      throw PartlySentError.after(progress.sent, err);
    }
  }

  /**
   * Sends one batch (see sendInBatches) as few messages as Slack allows, counting its activities
   * in `progress` once they are all posted (a message may carry several).
   */
  private async sendBatch(
    channel: string,
    thread: string | undefined,
    activities: Partial<Activity>[],
    standalone: boolean,
    progress: SendProgress,
  ): Promise<ResourceResponse[]> {
    const { keyboards, client, limiter } = this.deps;
    const messages = render(activities);
    const choices = messages.flatMap((m) => m.choices);
    const { keyboard, stale } = await keyboards.open(
      channel,
      choices,
      standalone,
      activities.some(isMultiSelect),
    );
    this.retire(channel, stale);
    const out: ResourceResponse[] = [];
    const withButtons: KeyboardMessage[] = [];
    for (const message of messages) {
      const blocks = withKey(message.blocks, (n) => buttonRef(keyboard?.key ?? '', n));
      const text = message.text || ' ';
      await limiter.acquire(channel);
      const posted = await client.chat.postMessage({
        channel,
        text,
        blocks,
        ...(thread ? { thread_ts: thread } : {}),
      });
      const ts = posted.ts ?? '';
      out.push({ id: ts });
      // Kept with the keyboard, so that any process can take the buttons off later.
      if (message.choices.length > 0) withButtons.push({ id: ts, shown: JSON.stringify({ text, blocks }) });
    }
    progress.sent += activities.length;
    if (keyboard && withButtons.length > 0) await keyboards.keyboardSent(keyboard, withButtons);
    return out;
  }

  /** Older questions lose their buttons (in the background), so they cannot be answered again. */
  retire(channel: string, stale: KeyboardMessage[], choice?: { ts: string; title: string }): void {
    for (const message of stale) {
      const chosen = message.id === choice?.ts ? choice.title : undefined;
      void this.deps.inFlight.track(() => this.updating.track(() => this.answered(channel, message, chosen)));
    }
  }

  private readonly updating = new InFlight();

  /** Resolves once the messages being updated in the background are. */
  idle(): Promise<void> {
    return this.updating.settled();
  }

  /**
   * Sends a message again without its buttons: with the choice made in their place, or with
   * nothing when the question passed unanswered.
   */
  private async answered(
    channel: string,
    message: KeyboardMessage,
    choice: string | undefined,
  ): Promise<void> {
    if (!message.shown) return;
    try {
      const { text, blocks } = JSON.parse(message.shown) as { text: string; blocks: KnownBlock[] };
      const kept =
        choice === undefined ? blocks.filter((b) => b.type !== 'actions') : answeredBlocks(blocks, choice);
      await this.deps.client.chat.update({ channel, ts: message.id, text, blocks: kept });
    } catch (err) {
      this.deps.log.debug({ err, channel }, 'slack: could not take the buttons off an old message');
    }
  }
}

/** The thread a turn's message was in, to answer there (see `dm` in index.ts). */
function threadOf(ref: Partial<ConversationReference>): string | undefined {
  const threadTs = (ref.conversation?.properties as { threadTs?: unknown } | undefined)?.threadTs;
  return typeof threadTs === 'string' && /^\d+\.\d+$/.test(threadTs) ? threadTs : undefined;
}
