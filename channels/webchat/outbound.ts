import type { Activity, ConversationReference, ResourceResponse } from 'botbuilder';
import type { ChannelOutbound } from '../../bot/engine/channel.js';
import type { WebchatStore } from './store.js';

export const WEBCHAT = 'webchat';
export const BOT = { id: 'tandem', name: 'Tandem', role: 'bot' };

/**
 * Sending to the web chat is appending to the conversation's Direct Line transcript; clients get
 * it by polling or on their WebSocket. Direct Line carries suggestedActions and hero cards as they
 * are, so there is nothing else to render.
 */
export class WebchatOutbound implements ChannelOutbound {
  readonly id = WEBCHAT;
  readonly defaultRole = 'mentee' as const;

  constructor(private readonly store: WebchatStore) {}

  async send(
    ref: Partial<ConversationReference>,
    activities: Partial<Activity>[],
  ): Promise<ResourceResponse[]> {
    const conversationId = ref.conversation?.id ?? '';
    const timestamp = new Date();
    const stored = await this.store.append(
      conversationId,
      activities.map((a) => ({
        ...a,
        channelId: 'directline',
        conversation: { id: conversationId, isGroup: false, conversationType: 'personal', name: '' },
        from: BOT,
        recipient: ref.user,
        replyToId: ref.activityId,
        timestamp,
      })),
    );
    const out: ResourceResponse[] = stored.activities.map((a) => ({ id: a.id ?? '' }));
    return out;
  }
}
