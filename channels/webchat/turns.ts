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
 * A socket that got the user's message and no reply for this long has its conversation looked
 * at (stream.ts; WEBCHAT_RECOVER_AFTER_S): a turn takes well under a second, 1.5 s at the p99 of
 * a 500-user flood.
 */
export const LOST_AFTER_MS = 20_000;
/** Older messages are not run again: the person has left, or moved on elsewhere. */
export const RECOVER_WITHIN_MS = 10 * 60_000;
/** A message is run again once per period at most, by one process: a retry when that one stops too. */
export const RECOVERY_PERIOD_MS = 2 * 60_000;
/** How far back the transcript is read for the messages left unanswered (entries). */
const LOOK_BACK = 16;

export interface WebchatTurnsDeps {
  store: WebchatStore;
  engine: Engine;
  inFlight: InFlight;
  log: Logger;
  now?: () => number;
}

export interface Recovery {
  /** Turns run again by this call. */
  recovered: number;
  /** Messages still unanswered that another look may have to run (running, or taken elsewhere). */
  later: number;
}

/**
 * Runs the turns of the messages posted to the web chat, after the post is answered (as Direct
 * Line does), and runs again those whose process stopped before answering them. A message is
 * answered when a reply of the bot follows it in the transcript; the stream watches its sockets'
 * conversations for one left unanswered (stream.ts) and calls `recover`.
 */
export class WebchatTurns {
  /** The messages whose turn runs in this process, by turn key. */
  private readonly running = new Set<string>();
  private closed = false;
  private readonly now: () => number;

  constructor(private readonly deps: WebchatTurnsDeps) {
    this.now = deps.now ?? Date.now;
  }

  /**
   * Runs the turn of a stored message in the background; shutdown waits for it. A turn with
   * nothing to say is settled: no reply will follow it, and no process runs it again.
   */
  start(conversationId: string, activity: Partial<Activity>, opts: { recovered?: boolean } = {}): void {
    const { store, engine, inFlight, log } = this.deps;
    const nativeId = nativeIdOf(conversationId, activity);
    const key = turnKey(WEBCHAT, nativeId ?? activity.id ?? '');
    this.running.add(key);
    const typing = setTimeout(() => store.events.emit('typing', conversationId), TYPING_AFTER_MS);
    void inFlight
      .track(async () => {
        const outcome = await engine.process(
          { ...activity, channelId: WEBCHAT, recipient: { id: BOT.id, name: BOT.name } },
          // Run again: the first run may have left its dedupe mark; the state says if it saved.
          { ...(nativeId ? { nativeId } : {}), ...(opts.recovered ? { recorded: true } : {}) },
        );
        if (outcome === 'silent') {
          await store.claim(`settled|${key}`);
          store.events.emit('settled', conversationId);
        }
      })
      .catch((err) => log.error({ err }, 'web chat turn failed'))
      .finally(() => {
        clearTimeout(typing);
        this.running.delete(key);
      });
  }

  /**
   * A socket of the conversation has waited a while for a reply. Its messages since the bot's last
   * reply are run again, in order, each by one process, unless it runs here, was settled, is too
   * old, or is a copy of a message answered before (a client's retried post).
   */
  recover(conversationId: string): Promise<Recovery> {
    return this.deps.inFlight.track(async () => {
      const out: Recovery = { recovered: 0, later: 0 };
      const { store, log } = this.deps;
      const now = this.now();
      const period = Math.floor(now / RECOVERY_PERIOD_MS);
      for (const activity of unanswered(conversationId, await store.tail(conversationId, LOOK_BACK))) {
        const key = turnKey(WEBCHAT, nativeIdOf(conversationId, activity) ?? activity.id ?? '');
        const at = new Date(activity.timestamp ?? 0).getTime();
        if (this.closed || !(now - at < RECOVER_WITHIN_MS) || (await store.claimed(`settled|${key}`)))
          continue;
        if (this.running.has(key) || !(await store.claim(`recover|${key}|${period}`))) {
          out.later++;
          continue;
        }
        log.warn(
          { conversation: conversationId, message: activity.id },
          'web chat message unanswered: running its turn again',
        );
        this.start(conversationId, activity, { recovered: true });
        out.recovered++;
      }
      return out;
    });
  }

  /** No turn is run again from now on (shutdown). */
  close(): void {
    this.closed = true;
  }
}

/** An activity of the user's that calls for a turn: a message or an event, not one of the bot's. */
export function isUserTurn(activity: Partial<Activity>): boolean {
  return activity.from?.role !== BOT.role && (activity.type === 'message' || activity.type === 'event');
}

/**
 * The user's messages after the bot's last reply, oldest first, once each: a copy of a message
 * that came before that reply (a post retried with its clientActivityID) was answered with it.
 */
function unanswered(conversationId: string, activities: Partial<Activity>[]): Partial<Activity>[] {
  const lastReply = activities.findLastIndex((a) => a.from?.role === BOT.role);
  const identity = (a: Partial<Activity>) => nativeIdOf(conversationId, a) ?? a.id;
  const answered = new Set(
    activities
      .slice(0, lastReply + 1)
      .filter(isUserTurn)
      .map(identity),
  );
  const seen = new Set<string | undefined>();
  return activities.slice(lastReply + 1).filter((a) => {
    const id = identity(a);
    if (!isUserTurn(a) || answered.has(id) || seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

/** A client retrying a post keeps its clientActivityID: then that is the message's identity. */
function nativeIdOf(conversationId: string, activity: Partial<Activity>): string | undefined {
  const clientId = (activity.channelData as { clientActivityID?: unknown } | undefined)?.clientActivityID;
  return typeof clientId === 'string' ? `${conversationId}:c:${clientId}` : undefined;
}
