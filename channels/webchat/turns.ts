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
/**
 * A conversation's lost messages are run again by one process per period, counted from the first
 * of them (so every process that looks in time for it agrees on the first): another process runs
 * them in the next period if that one stops too.
 */
export const RECOVERY_PERIOD_MS = 2 * 60_000;
/** How far back the transcript is read for the messages left unanswered (entries). */
const LOOK_BACK = 16;

export interface WebchatTurnsDeps {
  store: WebchatStore;
  engine: Engine;
  inFlight: InFlight;
  log: Logger;
  /** A message younger than this may still be in a turn of another process (LOST_AFTER_MS). */
  lostAfterMs?: number;
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
  /** The messages whose turn runs in this process (how many runs), by turn key. */
  private readonly running = new Map<string, number>();
  private closed = false;
  private readonly now: () => number;
  readonly lostAfterMs: number;

  constructor(private readonly deps: WebchatTurnsDeps) {
    this.now = deps.now ?? Date.now;
    this.lostAfterMs = deps.lostAfterMs ?? LOST_AFTER_MS;
  }

  /**
   * Runs the turn of a stored message in the background; shutdown waits for it. A turn with
   * nothing to say is settled: no reply will follow it, and no process runs it again.
   */
  start(conversationId: string, activity: Partial<Activity>, opts: { recovered?: boolean } = {}): void {
    const { store, engine, inFlight, log } = this.deps;
    const nativeId = nativeIdOf(conversationId, activity);
    const key = turnKey(WEBCHAT, nativeId ?? activity.id ?? '');
    this.running.set(key, (this.running.get(key) ?? 0) + 1);
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
          store.events.emit('settled', conversationId, activity.id);
        }
      })
      .catch((err) => log.error({ err }, 'web chat turn failed'))
      .finally(() => {
        clearTimeout(typing);
        const runs = (this.running.get(key) ?? 1) - 1;
        if (runs > 0) this.running.set(key, runs);
        else this.running.delete(key);
      });
  }

  /**
   * A socket of the conversation has waited a while for a reply. The user's messages that no reply
   * answers are run again, in order, by one process, unless one runs here, was settled, is older
   * than RECOVER_WITHIN_MS, or is a copy of a message answered (a client's retried post). Those
   * from the first one younger than `lostAfterMs` on are left for a later look: they may still be
   * in a turn of another process.
   */
  recover(conversationId: string): Promise<Recovery> {
    return this.deps.inFlight.track(async () => {
      const { store, log } = this.deps;
      const now = this.now();
      const lost: Array<{ activity: Partial<Activity>; key: string }> = [];
      for (const activity of unanswered(conversationId, await store.tail(conversationId, LOOK_BACK))) {
        const key = turnKey(WEBCHAT, nativeIdOf(conversationId, activity) ?? activity.id ?? '');
        const at = new Date(activity.timestamp ?? 0).getTime();
        if (!(now - at < RECOVER_WITHIN_MS) || (await store.claimed(`settled|${key}`))) continue;
        lost.push({ activity, key });
      }
      const young = lost.findIndex(
        ({ activity }) => now - new Date(activity.timestamp ?? 0).getTime() < this.lostAfterMs,
      );
      const later = young < 0 ? 0 : lost.length - young;
      if (young >= 0) lost.splice(young);
      const first = lost[0];
      if (!first || this.closed) return { recovered: 0, later };
      const since = new Date(first.activity.timestamp ?? 0).getTime();
      const period = Math.max(0, Math.floor((now - since) / RECOVERY_PERIOD_MS));
      if (
        lost.some(({ key }) => this.running.has(key)) ||
        !(await store.claim(`recover|${conversationId}|${first.key}|${period}`))
      ) {
        return { recovered: 0, later: lost.length + later };
      }
      for (const { activity } of lost) {
        log.warn(
          { conversation: conversationId, message: activity.id },
          'web chat message unanswered: running its turn again',
        );
        // In order: the engine takes a sender's turns one at a time, as they come.
        this.start(conversationId, activity, { recovered: true });
      }
      return { recovered: lost.length, later };
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
 * The user's messages that no reply of the bot's answers (`replyToId`), oldest first, once each:
 * a copy of a message (a post retried with its clientActivityID) is answered with it.
 */
function unanswered(conversationId: string, activities: Partial<Activity>[]): Partial<Activity>[] {
  const replied = new Set(activities.filter((a) => a.from?.role === BOT.role).map((a) => a.replyToId));
  const identity = (a: Partial<Activity>) => nativeIdOf(conversationId, a) ?? a.id;
  const turns = activities.filter(isUserTurn);
  const answered = new Set(turns.filter((a) => replied.has(a.id)).map(identity));
  const seen = new Set<string | undefined>();
  return turns.filter((a) => {
    const id = identity(a);
    if (answered.has(id) || seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

/** A client retrying a post keeps its clientActivityID: then that is the message's identity. */
function nativeIdOf(conversationId: string, activity: Partial<Activity>): string | undefined {
  const clientId = (activity.channelData as { clientActivityID?: unknown } | undefined)?.clientActivityID;
  return typeof clientId === 'string' ? `${conversationId}:c:${clientId}` : undefined;
}
