import {
  type Activity,
  BotAdapter,
  type ConversationReference,
  type ResourceResponse,
  TurnContext,
} from 'botbuilder';
import { TandemError } from '../errors.js';
import type { ChannelOutbound } from './channel.js';

const BUFFER = Symbol('tandem.outbox');

/**
 * The one BotAdapter of Tandem, for every channel. During a turn, replies are buffered on the
 * TurnContext and only handed to the channel once the turn's state is committed: a turn that
 * loses a state conflict is run again without its first replies ever having been sent.
 */
export class TandemAdapter extends BotAdapter {
  private readonly channels = new Map<string, ChannelOutbound>();

  register(channel: ChannelOutbound): void {
    this.channels.set(channel.id, channel);
  }

  channel(id: string): ChannelOutbound {
    const c = this.channels.get(id);
    if (!c) throw new TandemError('unknown_channel', `no channel registered as ${id}`, 'adapter');
    return c;
  }

  get channelIds(): string[] {
    return [...this.channels.keys()];
  }

  /** Runs `logic` on a new TurnContext whose replies are buffered. */
  async runTurn(activity: Partial<Activity>, logic: (context: TurnContext) => Promise<void>): Promise<void> {
    const context = new TurnContext(this, activity);
    context.turnState.set(BUFFER, []);
    await this.runMiddleware(context, logic);
  }

  /** The replies buffered by a turn so far. */
  buffered(context: TurnContext): Partial<Activity>[] {
    return (context.turnState.get(BUFFER) as Partial<Activity>[] | undefined) ?? [];
  }

  /** Forgets the buffered replies but the first `keep` (the turn is about to run again). */
  discard(context: TurnContext, keep = 0): void {
    context.turnState.set(BUFFER, this.buffered(context).slice(0, keep));
  }

  /** Hands the buffered replies to the channel. */
  async flush(context: TurnContext): Promise<void> {
    const replies = this.buffered(context);
    context.turnState.set(BUFFER, []);
    if (replies.length === 0) return;
    const ref = TurnContext.getConversationReference(context.activity);
    await this.channel(context.activity.channelId ?? '').send(ref, replies);
  }

  override async sendActivities(
    context: TurnContext,
    activities: Partial<Activity>[],
  ): Promise<ResourceResponse[]> {
    const buffer = context.turnState.get(BUFFER) as Partial<Activity>[] | undefined;
    if (buffer) {
      // 'delay' is missing from the ActivityTypes typings; delays make no sense once buffered.
      buffer.push(...activities.filter((a) => a.type !== 'delay'));
      return activities.map((_, i) => ({ id: `pending-${buffer.length - activities.length + i}` }));
    }
    const ref = TurnContext.getConversationReference(context.activity);
    return this.channel(context.activity.channelId ?? '').send(ref, activities);
  }

  override async updateActivity(context: TurnContext, activity: Partial<Activity>): Promise<void> {
    const ref = TurnContext.getConversationReference(context.activity);
    await this.channel(context.activity.channelId ?? '').update?.(ref, activity);
  }

  override async deleteActivity(): Promise<void> {
    // No channel of ours deletes messages: a stale button is answered instead.
  }

  /** A proactive turn: replies go straight to the channel (the outbox calls this). */
  override async continueConversation(
    reference: Partial<ConversationReference>,
    logic: (context: TurnContext) => Promise<void>,
  ): Promise<void> {
    const activity = TurnContext.applyConversationReference(
      { type: 'event', name: 'proactive' },
      reference,
      true,
    );
    await this.runMiddleware(new TurnContext(this, activity), logic);
  }
}
