import type { Activity } from 'botbuilder';
import { Lru } from '../../bot/db/lru.js';
import type { Logger } from '../../bot/log.js';
import { BOT } from './outbound.js';
import type { WebchatStore } from './store.js';
import { isUserTurn, RECOVER_WITHIN_MS, type WebchatTurns } from './turns.js';

/** Stands for the messages a client may await that this process never saw (it reconnected here). */
const UNKNOWN = '?';
/** Conversations whose polling clients are followed (a few hundred bytes each). */
const MAX_POLLED = 10_000;

/**
 * What a client of a conversation (a socket, or a client that polls) awaits: the user's recent
 * messages it got, until a reply of the bot's it got answers them (`replyToId`).
 */
export class Awaiting {
  private readonly ids = new Set<string>();
  /** Since when (this process's clock) it awaits one, or when its conversation was last looked at. */
  private since: number | undefined;

  /**
   * The client got these activities. `unknown`: it may await a message this process never saw
   * (it reconnected here), until its conversation is looked at once.
   */
  saw(activities: Partial<Activity>[], unknown = false): void {
    const recent = Date.now() - RECOVER_WITHIN_MS;
    for (const a of activities) {
      if (a.from?.role === BOT.role) {
        if (a.replyToId) this.ids.delete(a.replyToId);
      } else if (isUserTurn(a) && a.id && new Date(a.timestamp ?? 0).getTime() > recent) this.ids.add(a.id);
    }
    if (unknown) this.ids.add(UNKNOWN);
    this.settle();
  }

  /** A message whose turn had nothing to say: no reply will come. */
  answered(activityId: string): void {
    this.ids.delete(activityId);
    this.settle();
  }

  /** Whether it has awaited a reply for `afterMs` (or that long since its conversation was looked at). */
  due(now: number, afterMs: number): boolean {
    return this.since !== undefined && now - this.since >= afterMs;
  }

  /** A look at the conversation begins now: the wait starts again; returns what `clear` may clear. */
  look(now: number): string[] {
    this.since = now;
    return [...this.ids];
  }

  /**
   * The conversation was looked at and had nothing to run for these: they are no longer awaited.
   * Messages it got while the look ran are still awaited (their wait starts again).
   */
  clear(looked: string[]): void {
    for (const id of looked) this.ids.delete(id);
    this.since = undefined;
    this.settle();
  }

  private settle(): void {
    if (this.ids.size === 0) this.since = undefined;
    else this.since ??= Date.now();
  }
}

/**
 * The conversations of the clients that poll this process (`GET …/activities`) instead of holding
 * a socket: what they await, as the stream does for its sockets, and a look at the conversation
 * (turns.ts `recover`) once one has waited `lostAfterMs` for a reply. A poll brings everything
 * after its watermark, so a reply from another process is seen without a read of its own; the
 * look happens on a poll, since a client that stopped polling would not read the answer anyway.
 */
export class PolledConversations {
  private readonly followed = new Lru<string, { awaiting: Awaiting; looking: boolean }>(MAX_POLLED);

  constructor(
    private readonly deps: {
      store: WebchatStore;
      turns: Pick<WebchatTurns, 'recover' | 'lostAfterMs'>;
      log: Logger;
    },
  ) {
    deps.store.events.on('settled', (conversationId: string, activityId: string) => {
      this.followed.get(conversationId)?.awaiting.answered(activityId);
    });
  }

  /** A client polled the conversation from `watermark` and got `activities`. */
  polled(conversationId: string, watermark: number, activities: Partial<Activity>[]): void {
    const followed = this.followed.get(conversationId) ?? this.follow(conversationId, watermark);
    const { awaiting } = followed;
    awaiting.saw(activities);
    const now = Date.now();
    if (followed.looking || !awaiting.due(now, this.deps.turns.lostAfterMs)) return;
    followed.looking = true;
    const looked = awaiting.look(now);
    void this.deps.turns
      .recover(conversationId)
      .then(({ recovered, later }) => {
        // Nothing to run (answered copies, settled, too old): nothing to wait for.
        if (recovered === 0 && later === 0) awaiting.clear(looked);
      })
      .catch((err) =>
        this.deps.log.warn({ err, conversation: conversationId }, 'web chat: looking for a lost turn failed'),
      )
      .finally(() => {
        followed.looking = false;
      });
  }

  private follow(conversationId: string, watermark: number) {
    const followed = { awaiting: new Awaiting(), looking: false };
    this.followed.set(conversationId, followed);
    // It got messages before, from another process maybe: what became of them is not known here.
    followed.awaiting.saw([], watermark > 0);
    return followed;
  }
}
