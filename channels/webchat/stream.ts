import type { Server as HttpServer, IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Activity } from 'botbuilder';
import { type WebSocket, WebSocketServer } from 'ws';
import type { Logger } from '../../bot/log.js';
import { Awaiting } from './awaiting.js';
import { originAllowed } from './http.js';
import { BOT } from './outbound.js';
import type { WebchatStore } from './store.js';
import type { TokenSigner } from './tokens.js';
import type { WebchatTurns } from './turns.js';

const PATH = /^\/v3\/directline\/conversations\/([^/]+)\/stream$/;
/** Every second, at most POLL_BUDGET sockets quiet for QUIET_MS are checked for other processes' appends. */
const POLL_MS = 1000;
const POLL_BUDGET = 20;
const QUIET_MS = 10_000;
const PING_MS = 25_000;
/** Sockets of one conversation in a process: tabs of one page, and a few reconnects in flight. */
const MAX_SOCKETS_PER_CONVERSATION = 8;
/**
 * Bytes a socket may have waiting to go out: a client that stops reading is closed (it reconnects
 * from its watermark when it reads again) rather than have the server hold all it missed.
 */
const MAX_BUFFERED = 1024 * 1024;

interface Subscription {
  conversationId: string;
  watermark: number;
  socket: WebSocket;
  busy: boolean;
  again: boolean;
  alive: boolean;
  /** When this socket last got something, or was last checked: polls go to the quietest first. */
  checkedAt: number;
  /** The user's messages it got that no reply it got answers. */
  awaiting: Awaiting;
}

export interface StreamDeps {
  store: WebchatStore;
  signer: TokenSigner;
  origins: string[];
  log: Logger;
  /** `lostAfterMs`: how long a socket waits for a reply before its conversation is looked at. */
  turns: Pick<WebchatTurns, 'recover' | 'lostAfterMs'>;
  /** How often every socket is pinged and sent Direct Line's keep-alive (PING_MS). */
  pingMs?: number;
}

/**
 * The Direct Line WebSocket stream: each socket gets the activity sets after its watermark, at
 * once when this process appended them, within about ten seconds when another process did. A
 * socket that awaits a reply to the user's messages for a while (or reconnected) has its
 * conversation looked at: a turn lost with its process is run again (turns.ts).
 */
export class DirectLineStream {
  /** Clients send nothing on the stream (Direct Line): a frame of more than this closes it. */
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 4096 });
  private readonly subs = new Set<Subscription>();
  /** The same subscriptions by conversation: an append reaches its own sockets without a look at all. */
  private readonly byConversation = new Map<string, Set<Subscription>>();
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(
    http: HttpServer,
    private readonly deps: StreamDeps,
  ) {
    http.on('upgrade', (req, socket, head) => this.upgrade(req, socket, head));
    // "Typing…" is a hint, not part of the transcript: sent to this process's sockets, not stored.
    deps.store.events.on('typing', (conversationId: string) => {
      for (const sub of this.byConversation.get(conversationId) ?? []) {
        if (sub.socket.readyState !== sub.socket.OPEN) continue;
        const typing = { type: 'typing', from: BOT, conversation: { id: conversationId } };
        sub.socket.send(JSON.stringify({ activities: [typing], watermark: String(sub.watermark) }));
      }
    });
    // A turn with nothing to say: no reply will come.
    deps.store.events.on('settled', (conversationId: string, activityId: string) => {
      for (const sub of this.byConversation.get(conversationId) ?? []) sub.awaiting.answered(activityId);
    });
    deps.store.events.on('append', (conversationId: string, seq: number, activities: Partial<Activity>[]) => {
      for (const sub of this.byConversation.get(conversationId) ?? []) {
        sub.checkedAt = Date.now();
        // The common case, the next entry of a socket that is up to date: no read needed.
        if (!sub.busy && sub.watermark === seq - 1 && sub.socket.readyState === sub.socket.OPEN) {
          this.send(sub, activities, seq);
        } else {
          this.catchUp(sub);
        }
      }
    });
    this.timers.push(setInterval(() => void this.poll(), POLL_MS).unref());
    this.timers.push(setInterval(() => void this.unanswered(), POLL_MS).unref());
    this.timers.push(setInterval(() => this.ping(), deps.pingMs ?? PING_MS).unref());
  }

  get size(): number {
    return this.subs.size;
  }

  close(): void {
    for (const t of this.timers) clearInterval(t);
    for (const sub of this.subs) sub.socket.close(1001, 'server shutting down');
    this.wss.close();
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const refuse = (status: string) => {
      socket.write(`HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`);
      socket.destroy();
    };
    // The stream is the server's only WebSocket: any other upgrade is refused, not left hanging.
    // A target URL cannot parse ("//[") is refused too: a throw here would stop the process.
    const url = URL.canParse(req.url ?? '/', 'http://localhost')
      ? new URL(req.url ?? '/', 'http://localhost')
      : undefined;
    const match = url ? PATH.exec(url.pathname) : null;
    const conversationId = match ? decoded(match[1] ?? '') : undefined;
    if (!url || conversationId === undefined) {
      refuse('404 Not Found');
      return;
    }
    const claims = this.deps.signer.verify(url.searchParams.get('t') ?? '');
    if (
      !originAllowed(req.headers.origin, this.deps.origins) ||
      !claims ||
      claims.conversationId !== conversationId
    ) {
      refuse('403 Forbidden');
      return;
    }
    if ((this.byConversation.get(conversationId)?.size ?? 0) >= MAX_SOCKETS_PER_CONVERSATION) {
      refuse('429 Too Many Requests');
      return;
    }
    const watermark = Number.parseInt(url.searchParams.get('watermark') ?? '0', 10);
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const sub: Subscription = {
        conversationId,
        watermark: Number.isFinite(watermark) ? watermark : 0,
        socket: ws,
        busy: false,
        again: false,
        alive: true,
        checkedAt: Date.now(),
        awaiting: new Awaiting(),
      };
      this.add(sub);
      // Reconnected: what it got before, and what became of it, is not known here. One look at
      // its conversation in a while (`lostAfterMs`).
      sub.awaiting.saw([], sub.watermark > 0);
      ws.on('pong', () => {
        sub.alive = true;
      });
      ws.on('close', () => this.remove(sub));
      ws.on('error', () => this.remove(sub));
      this.catchUp(sub);
    });
  }

  private add(sub: Subscription): void {
    this.subs.add(sub);
    const same = this.byConversation.get(sub.conversationId);
    if (same) same.add(sub);
    else this.byConversation.set(sub.conversationId, new Set([sub]));
  }

  private remove(sub: Subscription): void {
    this.subs.delete(sub);
    const same = this.byConversation.get(sub.conversationId);
    same?.delete(sub);
    if (same?.size === 0) this.byConversation.delete(sub.conversationId);
  }

  /** Sends what the socket has not seen yet, one catch-up at a time per socket. */
  private catchUp(sub: Subscription): void {
    if (sub.busy) {
      sub.again = true;
      return;
    }
    sub.busy = true;
    void (async () => {
      try {
        do {
          sub.again = false;
          const set = await this.deps.store.after(sub.conversationId, sub.watermark);
          if (set.activities.length > 0 && sub.socket.readyState === sub.socket.OPEN) {
            this.send(sub, set.activities, Number(set.watermark));
            sub.again = true;
          }
        } while (sub.again && this.subs.has(sub));
      } catch (err) {
        this.deps.log.warn({ err, conversation: sub.conversationId }, 'web chat stream catch-up failed');
      } finally {
        sub.busy = false;
      }
    })();
  }

  /**
   * Finds what other processes appended to the conversations this process streams. A socket that
   * got nothing for QUIET_MS is checked with one primary-key read; a bounded number per second,
   * so that polling never takes more than a small share of the database. (This process's own
   * appends reach its sockets at once, without any read.)
   */
  private async poll(): Promise<void> {
    const now = Date.now();
    const due = [...this.subs]
      .filter((s) => !s.busy && now - s.checkedAt >= QUIET_MS)
      .sort((a, b) => a.checkedAt - b.checkedAt)
      .slice(0, POLL_BUDGET);
    await Promise.all(
      due.map(async (sub) => {
        sub.checkedAt = now;
        try {
          if (await this.deps.store.hasAfter(sub.conversationId, sub.watermark)) this.catchUp(sub);
        } catch (err) {
          this.deps.log.warn({ err }, 'web chat stream poll failed');
        }
      }),
    );
  }

  private send(sub: Subscription, activities: Partial<Activity>[], watermark: number): void {
    if (sub.socket.bufferedAmount > MAX_BUFFERED) {
      sub.socket.close(1013, 'not reading: reconnect from your watermark');
      this.remove(sub);
      return;
    }
    sub.socket.send(JSON.stringify({ activities, watermark: String(watermark) }));
    sub.watermark = watermark;
    sub.awaiting.saw(activities);
  }

  /**
   * The conversations whose socket has waited for a reply for a while (`lostAfterMs`): their
   * messages left unanswered are run again (turns.ts). Looked at again after the same delay while
   * one may still need it; otherwise not until the next activity.
   */
  private async unanswered(): Promise<void> {
    const now = Date.now();
    const late = new Map<string, Subscription[]>();
    for (const sub of this.subs) {
      if (!sub.awaiting.due(now, this.deps.turns.lostAfterMs)) continue;
      late.set(sub.conversationId, [...(late.get(sub.conversationId) ?? []), sub]);
    }
    await Promise.all(
      [...late].map(async ([conversationId, subs]) => {
        const looked = subs.map((sub) => sub.awaiting.look(now));
        try {
          // A reply from another process reaches a socket by polling: see first whether it came.
          const behind = await Promise.all(
            subs.map((sub) => this.deps.store.hasAfter(conversationId, sub.watermark)),
          );
          if (behind.some(Boolean)) {
            for (const [i, sub] of subs.entries()) if (behind[i]) this.catchUp(sub);
            return;
          }
          const { recovered, later } = await this.deps.turns.recover(conversationId);
          if (recovered > 0 || later > 0) return;
          // Nothing to run (answered copies, settled, too old): nothing to wait for.
          for (const [i, sub] of subs.entries()) sub.awaiting.clear(looked[i] ?? []);
        } catch (err) {
          this.deps.log.warn(
            { err, conversation: conversationId },
            'web chat: looking for a lost turn failed',
          );
        }
      }),
    );
  }

  private ping(): void {
    for (const sub of this.subs) {
      if (!sub.alive) {
        sub.socket.terminate();
        this.remove(sub);
        continue;
      }
      sub.alive = false;
      sub.socket.ping();
      // Direct Line's keep-alive, an empty message: a client can see it (browsers answer pings
      // without telling the page), and tell a connection that died without closing (SILENT_MS in
      // the widget's client.ts). Direct Line clients ignore it.
      if (sub.socket.readyState === sub.socket.OPEN) sub.socket.send('');
    }
  }
}

/** A path segment decoded, or undefined when it is not valid percent-encoding (`%ZZ`). */
function decoded(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}
