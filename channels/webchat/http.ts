import type { Request, Response, Server } from 'restify';

/** The Bearer credential of a request, if any. */
export function bearer(req: Request): string | undefined {
  const h = req.headers.authorization;
  return typeof h === 'string' && h.startsWith('Bearer ') ? h.slice(7).trim() : undefined;
}

/** Direct Line's error shape. */
export function fail(res: Response, status: number, code: string, message: string): void {
  res.json(status, { error: { code, message } });
}

/** Whether a browser Origin (absent for non-browser clients) is one of the allowed origins. */
export function originAllowed(origin: string | undefined, allowed: string[]): boolean {
  return origin === undefined || allowed.includes(origin);
}

/** The paths a page of another origin calls from its script (the widget, a Direct Line client). */
const CROSS_ORIGIN_PATHS = /^\/(v3\/directline|webchat)\//;

/**
 * CORS for the web chat: a browser lets a page of an allowed origin (another site of the hub that
 * embeds the widget) read our answers, and send its token in `Authorization` after a preflight.
 * An origin not allowed gets no such header: its page cannot read anything (and is refused anyway).
 */
export function allowOrigins(server: Server, allowed: string[]): void {
  server.pre((req, res, next) => {
    const origin = req.headers.origin;
    if (origin === undefined || !CROSS_ORIGIN_PATHS.test(req.url ?? '')) return next();
    const ok = allowed.includes(origin);
    res.header('Vary', 'Origin');
    if (ok) {
      res.header('Access-Control-Allow-Origin', origin);
      res.header('Access-Control-Expose-Headers', 'Retry-After');
    }
    if (req.method !== 'OPTIONS') return next();
    if (ok) {
      res.header('Access-Control-Allow-Methods', 'GET, POST');
      // botframework-directlinejs (and so Bot Framework Web Chat) names itself in x-ms-bot-agent.
      res.header('Access-Control-Allow-Headers', 'Authorization, Content-Type, x-ms-bot-agent');
      res.header('Access-Control-Max-Age', '600');
    }
    res.send(ok ? 204 : 403);
    return next(false);
  });
}

/**
 * The client's address: the connection's, or behind `trustProxy` proxies (each appends the address
 * it got the request from to X-Forwarded-For) the one the outermost of them saw. Entries a client
 * wrote itself come before and are not read.
 */
export function clientAddress(req: Request, trustProxy: number): string {
  const direct = req.socket.remoteAddress ?? '?';
  if (trustProxy === 0) return direct;
  const forwarded = String(req.headers['x-forwarded-for'] ?? '')
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);
  return forwarded[forwarded.length - trustProxy] ?? direct;
}

/** ws:// or wss:// base URL as the client reached us (behind a proxy too). */
export function wsBase(req: Request): string {
  const proto = String(req.headers['x-forwarded-proto'] ?? '')
    .split(',')[0]
    ?.trim();
  return `${proto === 'https' ? 'wss' : 'ws'}://${req.headers.host ?? 'localhost'}`;
}

/** A fixed-window limit per key (client address): enough to stop a script from minting tokens. */
export class RateLimiter {
  /** Keys in the order their windows began (a key whose window begins again moves to the end). */
  private readonly hits = new Map<string, { windowStart: number; count: number }>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
    private readonly maxKeys = 10_000,
  ) {}

  /** Counts a hit; false when the key is over its limit in the current window. */
  take(key: string): boolean {
    const t = this.now();
    const entry = this.hits.get(key);
    if (entry && t - entry.windowStart < this.windowMs) {
      entry.count++;
      return entry.count <= this.limit;
    }
    this.hits.delete(key);
    this.hits.set(key, { windowStart: t, count: 1 });
    this.prune(t);
    return true;
  }

  /**
   * Forgets the windows that ended, oldest first, and past `maxKeys` the oldest still open (a flood
   * of new keys): the others' counts stand. (Clearing every count at 10,000 keys, as before, let
   * whoever brought that many addresses start everyone's counts afresh.)
   */
  private prune(t: number): void {
    for (const [key, entry] of this.hits) {
      if (this.hits.size <= this.maxKeys && t - entry.windowStart < this.windowMs) return;
      this.hits.delete(key);
    }
  }
}
