import type { Activity, ConversationReference, ResourceResponse } from 'botbuilder';
import type { Role } from '../../models/person.js';

/**
 * What the engine needs from a channel to send. Everything else a channel does (verify,
 * acknowledge, map native updates to Activities) happens in its own folder before the pipeline.
 */
export interface ChannelOutbound {
  /** The botbuilder channelId this channel stamps on its Activities ('webchat', 'telegram', 'slack'). */
  readonly id: string;
  /** Who a stranger on this channel is: mentees come from the web and Telegram, mentors from Slack. */
  readonly defaultRole: Role;
  send(ref: Partial<ConversationReference>, activities: Partial<Activity>[]): Promise<ResourceResponse[]>;
  /**
   * A link that opens this channel on a conversation with the bot carrying a one-time code, so a
   * person can go on here (see services/links.ts). Channels that cannot do it leave it out.
   */
  handoffUrl?(code: string): Promise<string | undefined>;
  update?(ref: Partial<ConversationReference>, activity: Partial<Activity>): Promise<void>;
}
