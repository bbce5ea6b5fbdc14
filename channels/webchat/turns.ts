import type { Activity } from 'botbuilder';
import type { Engine } from '../../bot/engine/pipeline.js';
import { turnKey } from '../../bot/engine/turn.js';
import type { InFlight } from '../../bot/lifecycle.js';
import type { Logger } from '../../bot/log.js';
import { BOT, WEBCHAT } from './outbound.js';
import type { WebchatStore } from './store.js';

/** A turn that takes longer than this shows "typing…" (as on Telegram). */
const TYPING_AFTER_MS = 1000;
/** Older messages are not run again: the person has left, or moved on elsewhere. */
export const RECOVER_WITHIN_MS = 10 * 60_000;
/**
 * A conversation's lost messages are run again by one process at a time: another process runs
 * them again once this long has passed, if that one stopped too.
 */
const RECOVERY_PERIOD_MS = 2 * 60_000;
/** How far back the transcript is read for the messages left unanswered (entries). */
const LOOK_BACK = 16;

export interface WebchatTurnsDeps {
  store: WebchatStore;
  engine: Engine;
  inFlight: InFlight;
  log: Logger;
  /**
   * WEBCHAT_RECOVER_AFTER_S: a socket that got the user's message and no reply for this long has
   * its conversation looked at (stream.ts), and a message younger than this may still be in a
   * turn of another process. A turn takes well under a second, 1.5 s at the p99 of a 500-user flood.
   */
  lostAfterMs: number;
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
  readonly lostAfterMs: number;

  constructor(private readonly deps: WebchatTurnsDeps) {
    this.lostAfterMs = deps.lostAfterMs;
  }

  /**
   * Runs the turn of a stored message in the background; shutdown waits for it. A turn with
   * nothing to say is settled: no reply will follow it, and no process runs it again.
   */
  start(conversationId: string, activity: Partial<Activity>, opts: { recovered?: boolean } = {}): void {
    const { store, engine, inFlight, log } = this.deps;
    const nativeId = nativeIdOf(conversationId, activity);
    const key = keyOf(conversationId, activity);
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
   * A socket of the conversation has waited a while for a reply. The user's messages after the
   * last one a reply answers are run again, in order, by one process: not while one of them runs
   * here or is younger than `lostAfterMs` (it may still be in a turn of another process), and
   * not those settled, older than RECOVER_WITHIN_MS, or copies of a message answered (a client's
   * retried post). A message answered after them means the person went on: they are left alone.
   */
  recover(conversationId: string): Promise<Recovery> {
    return this.deps.inFlight.track(async () => {
      const { store } = this.deps;
      const now = Date.now();
      const age = (a: Partial<Activity>) => now - new Date(a.timestamp ?? 0).getTime();
      const candidates = unanswered(conversationId, await store.tail(conversationId, LOOK_BACK))
        .filter((activity) => age(activity) < RECOVER_WITHIN_MS)
        .map((activity) => ({ activity, key: keyOf(conversationId, activity) }));
      const settled = await Promise.all(candidates.map(({ key }) => store.claimed(`settled|${key}`)));
      const lost = candidates.filter((_, i) => !settled[i]);
      const first = lost[0];
      if (!first || this.closed) return { recovered: 0, later: 0 };
      if (lost.some(({ activity, key }) => this.running.has(key) || age(activity) < this.lostAfterMs)) {
        return { recovered: 0, later: lost.length };
      }
      if (!(await store.claimAttempt(`recover|${conversationId}|${first.key}`, RECOVERY_PERIOD_MS))) {
        return { recovered: 0, later: lost.length };
      }
      // A message another process took lately ends the run: the rest is still to be seen to.
      const recovered = await this.rerun(conversationId, lost);
      return { recovered, later: lost.length - recovered };
    });
  }

  /**
   * Runs the turns of `lost` again, in order (the engine takes a sender's turns one at a time, as
   * they come), each claimed too: a message another process took lately, in a set that began
   * later, ends the run there.
   */
  private async rerun(
    conversationId: string,
    lost: Array<{ activity: Partial<Activity>; key: string }>,
  ): Promise<number> {
    let n = 0;
    for (const { activity, key } of lost) {
      if (!(await this.deps.store.claimAttempt(`recover|${key}`, RECOVERY_PERIOD_MS))) break;
      this.deps.log.warn(
        { conversation: conversationId, message: activity.id },
        'web chat message unanswered: running its turn again',
      );
      this.start(conversationId, activity, { recovered: true });
      n++;
    }
    return n;
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
 * The user's messages after the last one a reply of the bot's answers (`replyToId`), oldest first,
 * once each: a copy of a message (a post retried with its clientActivityID) is answered with it.
 */
function unanswered(conversationId: string, activities: Partial<Activity>[]): Partial<Activity>[] {
  const replied = new Set(activities.filter((a) => a.from?.role === BOT.role).map((a) => a.replyToId));
  const identity = (a: Partial<Activity>) => nativeIdOf(conversationId, a) ?? a.id;
  const turns = activities.filter(isUserTurn);
  const answered = new Set(turns.filter((a) => replied.has(a.id)).map(identity));
  const after = turns.findLastIndex((a) => answered.has(identity(a))) + 1;
  const seen = new Set<string | undefined>();
  return turns.slice(after).filter((a) => {
    const id = identity(a);
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

/** The engine's key for the turn of a stored message (Turn.key). */
function keyOf(conversationId: string, activity: Partial<Activity>): string {
  return turnKey(WEBCHAT, nativeIdOf(conversationId, activity) ?? activity.id ?? '');
}

/** A client retrying a post keeps its clientActivityID: then that is the message's identity. */
function nativeIdOf(conversationId: string, activity: Partial<Activity>): string | undefined {
  const clientId = (activity.channelData as { clientActivityID?: unknown } | undefined)?.clientActivityID;
  return typeof clientId === 'string' ? `${conversationId}:c:${clientId}` : undefined;
}
