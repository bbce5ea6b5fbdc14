import type { Activity } from 'botbuilder';
import type { Engine } from '../../bot/engine/pipeline.js';
import { turnKey } from '../../bot/engine/turn.js';
import type { InFlight } from '../../bot/lifecycle.js';
import type { Logger } from '../../bot/log.js';
import { BOT, WEBCHAT } from './outbound.js';
import type { WebchatStore } from './store.js';

/** A turn that takes longer than this shows "typing…" (as on Telegram). */
const TYPING_AFTER_MS = 1000;
/**
 * A message with no answer after this long is taken for lost: the process running its turn
 * stopped. A turn takes well under a second, 1.5 s at the p99 of a 500-user flood.
 */
export const LOST_AFTER_MS = 20_000;

export interface WebchatTurnsDeps {
  store: WebchatStore;
  engine: Engine;
  inFlight: InFlight;
  log: Logger;
  lostAfterMs?: number;
}

export type Recovery = 'answered' | 'young' | 'running' | 'taken' | 'recovered';

/**
 * Runs the turns of the messages posted to the web chat, after the post is answered (as Direct
 * Line does), and runs again those whose process stopped before answering: a message stays the
 * last activity of its transcript until a reply follows it, and the stream watches its sockets'
 * conversations for one left unanswered (stream.ts).
 */
export class WebchatTurns {
  /** The messages whose turn runs in this process, by turn key. */
  private readonly running = new Set<string>();
  readonly lostAfterMs: number;

  constructor(private readonly deps: WebchatTurnsDeps) {
    this.lostAfterMs = deps.lostAfterMs ?? LOST_AFTER_MS;
  }

  /** Runs the turn of a stored message in the background; shutdown waits for it. */
  start(conversationId: string, activity: Partial<Activity>, opts: { recovered?: boolean } = {}): void {
    const { store, engine, inFlight, log } = this.deps;
    const nativeId = nativeIdOf(conversationId, activity);
    const key = turnKey(WEBCHAT, nativeId ?? activity.id ?? '');
    this.running.add(key);
    const typing = setTimeout(() => store.events.emit('typing', conversationId), TYPING_AFTER_MS);
    void inFlight
      .track(() =>
        engine.process(
          { ...activity, channelId: WEBCHAT, recipient: { id: BOT.id, name: BOT.name } },
          // Run again: the first run may have left its dedupe mark; the state says if it saved.
          { ...(nativeId ? { nativeId } : {}), ...(opts.recovered ? { recorded: true } : {}) },
        ),
      )
      .catch((err) => log.error({ err }, 'web chat turn failed'))
      .finally(() => {
        clearTimeout(typing);
        this.running.delete(key);
      });
  }

  /**
   * The conversation's last message has had no answer from this process's point of view. If the
   * transcript still ends with it, it is old enough and its turn is not running here, its turn is
   * run again, by one process only.
   */
  async recover(conversationId: string): Promise<Recovery> {
    const { store, log } = this.deps;
    const last = (await store.last(conversationId))?.[0];
    if (!last || !isUserTurn(last)) return 'answered';
    const at = Date.parse(String(last.timestamp ?? ''));
    if (Number.isFinite(at) && Date.now() - at < this.lostAfterMs) return 'young';
    const key = turnKey(WEBCHAT, nativeIdOf(conversationId, last) ?? last.id ?? '');
    if (this.running.has(key)) return 'running';
    if (!(await store.claim(`recover|${key}`))) return 'taken';
    log.warn(
      { conversation: conversationId, message: last.id },
      'web chat message left unanswered: running its turn again',
    );
    this.start(conversationId, last, { recovered: true });
    return 'recovered';
  }
}

/** An activity of the user's that calls for a turn: a message or an event, not one of the bot's. */
export function isUserTurn(activity: Partial<Activity>): boolean {
  return activity.from?.role !== BOT.role && (activity.type === 'message' || activity.type === 'event');
}

/** A client retrying a post keeps its clientActivityID: then that is the message's identity. */
function nativeIdOf(conversationId: string, activity: Partial<Activity>): string | undefined {
  const clientId = (activity.channelData as { clientActivityID?: unknown } | undefined)?.clientActivityID;
  return typeof clientId === 'string' ? `${conversationId}:c:${clientId}` : undefined;
}
