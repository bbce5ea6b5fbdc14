/** The Direct Line 3.0 activity shapes the widget reads and writes (a small subset of botbuilder's). */
export interface CardAction {
  type: string;
  title?: string;
  text?: string;
  displayText?: string;
  value?: unknown;
}

export interface Attachment {
  contentType: string;
  content?: {
    title?: string;
    subtitle?: string;
    text?: string;
    images?: Array<{ url?: string; alt?: string }>;
    buttons?: CardAction[];
  };
}

export interface Activity {
  id?: string;
  type: string;
  name?: string;
  text?: string;
  value?: unknown;
  locale?: string;
  from?: { id: string; name?: string; role?: string };
  timestamp?: string;
  suggestedActions?: { actions?: CardAction[] };
  attachments?: Attachment[];
  /** `tandem: 'standalone'`: a standalone card, whose buttons stay until one is pressed. */
  channelData?: { clientActivityID?: string; tandem?: string };
}

interface ActivitySet {
  activities: Activity[];
  watermark?: string;
}

interface Session {
  conversationId: string;
  token: string;
  userId: string;
  watermark: string;
  /** ms since the epoch. */
  expiresAt: number;
  /** The bot was told of this new conversation (webchat/join). */
  joined: boolean;
  /** The channels the person can go on in with a one-time link (from the token endpoint). */
  handoff?: string[];
  /** Takes the conversation back with an expired token (given with the conversation). */
  resumeKey?: string;
}

export type Status = 'connecting' | 'online' | 'reconnecting' | 'unavailable';

export interface ClientEvents {
  /** New activities, oldest first, each given once. */
  activities(activities: Activity[]): void;
  status(status: Status): void;
  /** The stored conversation could not be resumed: a new one has begun. */
  reset(): void;
  /** The channels the person can go on in ("Continuer sur Telegram"), once the conversation is open. */
  handoff(channels: string[]): void;
}

/** A one-time link to go on in another channel (15 minutes). */
export interface Handoff {
  url: string;
  /** Seconds. */
  expiresIn: number;
}

class HttpError extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
  }
}

const KEY = 'tandem.webchat';
const MAX_BACKOFF_MS = 30_000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The stream sends something every 25 s at least (an empty keep-alive message, stream.ts): a
 * socket silent for longer than this died without closing (a laptop that slept, a network that
 * changed) and is opened again, from the watermark.
 */
const SILENT_MS = 65_000;
const later = (n: string, than: string) => /^\d+$/.test(n) && /^\d+$/.test(than) && Number(n) > Number(than);
const randomId = () => Date.now().toString(36) + Math.random().toString(36).slice(2, 10);

/** localStorage when the browser gives it, memory otherwise (private modes, blocked storage). */
const store = (() => {
  let memory: string | null = null;
  const get = (): Session | undefined => {
    let raw = memory;
    try {
      raw = localStorage.getItem(KEY);
    } catch {}
    try {
      const s = raw ? (JSON.parse(raw) as Session) : undefined;
      return s && typeof s.conversationId === 'string' && typeof s.token === 'string' ? s : undefined;
    } catch {
      return undefined;
    }
  };
  const set = (s: Session | undefined) => {
    memory = s ? JSON.stringify(s) : null;
    try {
      if (memory) localStorage.setItem(KEY, memory);
      else localStorage.removeItem(KEY);
    } catch {}
  };
  return { get, set };
})();

/**
 * The widget's Direct Line client: a token from the hub's page endpoint, then the WebSocket stream
 * (polling when there is no WebSocket). Every activity is handed over once, in order: a dropped
 * socket reconnects from the last watermark, and ids already seen are skipped.
 */
export class DirectLineClient {
  private session: Session | undefined;
  private readonly seen = new Set<string>();
  private socket: WebSocket | undefined;
  private failures = 0;
  private everOpened = false;
  private polling = typeof WebSocket === 'undefined';
  /** The current polling loop: an older one stops. */
  private loop = 0;
  private wake: (() => void) | undefined;
  private lastActive = 0;
  /** When the socket last brought something (its keep-alive included). */
  private lastFrame = 0;
  private started = false;

  constructor(
    private readonly base: string,
    private readonly locale: string,
    private readonly events: ClientEvents,
  ) {}

  get userId(): string {
    return this.session?.userId ?? '';
  }

  /** Resumes the stored conversation (its whole history), or starts a new one that the bot greets. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.events.status('connecting');
    for (let attempt = 0; ; attempt++) {
      try {
        await this.open();
        break;
      } catch {
        this.events.status('unavailable');
        await sleep(this.backoff(attempt));
      }
    }
    setInterval(() => void this.refresh().catch(() => {}), 60_000);
    setInterval(() => this.watch(), 10_000);
  }

  /**
   * Leaves a socket that has been silent too long and opens another. Not through its `onclose`: a
   * close handshake over a dead connection may take minutes to fail.
   */
  private watch(): void {
    const ws = this.socket;
    if (ws?.readyState !== WebSocket.OPEN || Date.now() - this.lastFrame <= SILENT_MS) return;
    this.socket = undefined;
    ws.close();
    void this.reconnect();
  }

  /** Posts a message (a typed text, or a button's title and value). Throws when it could not be sent. */
  async send(text: string, value?: unknown): Promise<void> {
    await this.post({ type: 'message', text, ...(value === undefined ? {} : { value }) });
  }

  private async open(): Promise<void> {
    const stored = store.get();
    if (stored) {
      // A full page load shows the whole history: the stream starts from watermark 0.
      this.session = { ...stored, watermark: '0' };
      try {
        await this.refresh(true).catch((err) => this.resume(err));
        const conv = await this.call<{ streamUrl?: string }>(
          'GET',
          `/v3/directline/conversations/${encodeURIComponent(stored.conversationId)}?watermark=0`,
        );
        this.connect(conv.streamUrl);
        this.events.handoff(stored.handoff ?? []);
        if (!stored.joined) await this.join();
        return;
      } catch (err) {
        if (!(err instanceof HttpError) || (err.status !== 403 && err.status !== 404)) throw err;
        // A token expired too long ago, or a forgotten conversation: it cannot be resumed.
        this.session = undefined;
        store.set(undefined);
        this.events.reset();
      }
    }
    const t = await this.call<{
      conversationId: string;
      userId: string;
      token: string;
      expires_in: number;
      handoff?: unknown;
      resumeKey?: string;
    }>('POST', '/webchat/token');
    this.session = {
      conversationId: t.conversationId,
      userId: t.userId,
      token: t.token,
      watermark: '0',
      expiresAt: Date.now() + t.expires_in * 1000,
      joined: false,
      handoff: Array.isArray(t.handoff) ? t.handoff.filter((c): c is string => typeof c === 'string') : [],
      resumeKey: t.resumeKey,
    };
    store.set(this.session);
    const conv = await this.call<{ streamUrl?: string }>('POST', '/v3/directline/conversations');
    this.connect(conv.streamUrl);
    this.events.handoff(this.session.handoff ?? []);
    await this.join();
  }

  /**
   * A one-time link to go on in `channel`, asked with the current token. Throws an HttpError: 409
   * when the person has not started here yet, 429 too many asked, 404/503 the channel is off.
   */
  async handoff(channel: string): Promise<Handoff> {
    if (!this.session) throw new HttpError(0);
    await this.renewSoon();
    const r = await this.call<{ url?: unknown; expires_in?: unknown }>(
      'POST',
      `/webchat/handoff/${encodeURIComponent(channel)}`,
    );
    if (typeof r.url !== 'string' || !/^https:\/\//.test(r.url)) throw new HttpError(502);
    return { url: r.url, expiresIn: typeof r.expires_in === 'number' ? r.expires_in : 900 };
  }

  /** Tells the bot that someone opened a new conversation, so that it speaks first. */
  private async join(): Promise<void> {
    await this.post({ type: 'event', name: 'webchat/join' });
    if (this.session) {
      this.session.joined = true;
      store.set(this.session);
    }
  }

  /**
   * After a refresh refused (`err`): the token expired while the page slept or was closed. The
   * widget asks for a new one in the same conversation, as the same person; rethrows when the
   * conversation cannot be resumed (a token expired too long ago).
   */
  private async resume(err: unknown): Promise<void> {
    const s = this.session;
    if (!s || !(err instanceof HttpError) || err.status !== 403) throw err;
    const t = await this.call<{ token: string; expires_in: number }>('POST', '/webchat/token', {
      resume: s.token,
      key: s.resumeKey,
    }).catch((refused) => {
      // 409: too long ago. The refresh's 403 says so to the caller, which starts afresh.
      throw refused instanceof HttpError && refused.status === 409 ? err : refused;
    });
    s.token = t.token;
    s.expiresAt = Date.now() + t.expires_in * 1000;
    store.set(s);
  }

  /**
   * Before a call: a token with less than a minute left is refreshed, or, expired unseen (the tab
   * slept), the conversation taken back. A failure is the call's to meet.
   */
  private async renewSoon(): Promise<void> {
    if (!this.session || this.session.expiresAt - Date.now() >= 60_000) return;
    await this.refresh(true)
      .catch((err) => this.resume(err))
      .catch(() => {});
  }

  /** Refreshes the token when it has less than five minutes left (or now), keeping the conversation. */
  private async refresh(now = false): Promise<void> {
    const s = this.session;
    if (!s) return;
    const life = s.expiresAt - Date.now();
    if (!now && life > 5 * 60_000) return;
    const r = await this.call<{ token: string; expires_in: number }>('POST', '/v3/directline/tokens/refresh');
    if (this.session !== s) return;
    s.token = r.token;
    s.expiresAt = Date.now() + r.expires_in * 1000;
    store.set(s);
  }

  private async post(activity: Activity): Promise<void> {
    if (!this.session) throw new Error('not connected');
    await this.renewSoon();
    const body = {
      ...activity,
      from: { id: this.session.userId },
      locale: this.locale,
      channelData: { clientActivityID: randomId() },
    };
    // The same clientActivityID on a retry: the bot answers one of the copies only.
    for (let attempt = 0; ; attempt++) {
      try {
        await this.call(
          'POST',
          `/v3/directline/conversations/${encodeURIComponent(this.session.conversationId)}/activities`,
          body,
        );
        break;
      } catch (err) {
        // Refused: its token expired unseen (a tab asleep past it). Once, with the conversation
        // taken back (a new token, the same person); the post keeps its clientActivityID.
        if (err instanceof HttpError && err.status === 403 && attempt === 0) {
          await this.resume(err);
          continue;
        }
        const retriable = !(err instanceof HttpError) || err.status >= 500 || err.status === 429;
        if (!retriable || attempt >= 2) throw err;
        await sleep(500 * 3 ** attempt);
      }
    }
    this.lastActive = Date.now();
    this.wake?.();
  }

  /** Opens the stream (the given URL, or a fresh one at the current watermark), or polls. */
  private connect(streamUrl?: string): void {
    if (this.polling || !streamUrl) {
      this.polling = true;
      void this.poll();
      return;
    }
    const old = this.socket;
    this.socket = undefined;
    old?.close();
    const ws = new WebSocket(streamUrl);
    this.socket = ws;
    ws.onopen = () => {
      this.lastFrame = Date.now();
      this.failures = 0;
      this.everOpened = true;
      this.events.status('online');
    };
    ws.onmessage = (e: MessageEvent) => {
      if (this.socket !== ws) return;
      this.lastFrame = Date.now();
      if (typeof e.data !== 'string' || e.data === '') return;
      try {
        this.receive(JSON.parse(e.data) as ActivitySet);
      } catch {}
    };
    ws.onclose = () => {
      if (this.socket !== ws) return;
      this.socket = undefined;
      void this.reconnect();
    };
  }

  private async reconnect(): Promise<void> {
    const attempt = this.failures++;
    // A browser that never manages a WebSocket (a proxy that strips them): poll instead.
    if (!this.everOpened && this.failures >= 3) {
      this.polling = true;
      void this.poll();
      return;
    }
    this.events.status(attempt === 0 ? 'reconnecting' : 'unavailable');
    await sleep(this.backoff(attempt));
    const s = this.session;
    if (!s) return;
    try {
      const conv = await this.call<{ streamUrl?: string }>(
        'GET',
        `/v3/directline/conversations/${encodeURIComponent(s.conversationId)}?watermark=${encodeURIComponent(s.watermark)}`,
      );
      this.connect(conv.streamUrl);
    } catch (err) {
      if (err instanceof HttpError && (err.status === 403 || err.status === 404)) return this.restart();
      void this.reconnect();
    }
  }

  /**
   * The stream was refused: its token expired while the page slept. The same conversation with a
   * new token if it can be resumed; otherwise a new one.
   */
  private async restart(): Promise<void> {
    if (this.session && this.session.expiresAt <= Date.now()) {
      try {
        await this.resume(new HttpError(403));
        void this.reconnect();
        return;
      } catch {}
    }
    this.session = undefined;
    this.seen.clear();
    store.set(undefined);
    this.events.reset();
    for (let attempt = 0; ; attempt++) {
      try {
        await this.open();
        return;
      } catch {
        this.events.status('unavailable');
        await sleep(this.backoff(attempt));
      }
    }
  }

  private async poll(): Promise<void> {
    const loop = ++this.loop;
    let errors = 0;
    this.events.status('online');
    while (this.loop === loop && this.session) {
      const s = this.session;
      try {
        const set = await this.call<ActivitySet>(
          'GET',
          `/v3/directline/conversations/${encodeURIComponent(s.conversationId)}/activities?watermark=${encodeURIComponent(s.watermark)}`,
        );
        if (errors > 0) this.events.status('online');
        errors = 0;
        this.receive(set);
        if (set.activities.length > 0) {
          this.lastActive = Date.now();
          continue;
        }
      } catch (err) {
        if (err instanceof HttpError && (err.status === 403 || err.status === 404)) {
          this.loop++;
          void this.restart();
          return;
        }
        this.events.status('unavailable');
        await sleep(this.backoff(errors++));
        continue;
      }
      // Quick while the conversation is lively, slower when idle; a post wakes the loop at once.
      const idle = Date.now() - this.lastActive > 30_000;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, idle ? 3000 : 1000);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  private receive(set: ActivitySet): void {
    const s = this.session;
    if (!s) return;
    if (
      typeof set.watermark === 'string' &&
      (later(set.watermark, s.watermark) || !/^\d+$/.test(s.watermark))
    ) {
      s.watermark = set.watermark;
      store.set(s);
    }
    // By id, and by the client's id too: a post retried after a lost answer may be stored twice.
    const fresh = (set.activities ?? []).filter((a) => {
      const keys = [a.id, a.channelData?.clientActivityID].filter((k): k is string => !!k);
      if (keys.some((k) => this.seen.has(k))) return false;
      for (const k of keys) this.seen.add(k);
      return true;
    });
    if (fresh.length > 0) this.events.activities(fresh);
  }

  private backoff(attempt: number): number {
    const ms = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** attempt);
    return ms / 2 + Math.random() * (ms / 2);
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {};
    if (this.session && path !== '/webchat/token') headers.Authorization = `Bearer ${this.session.token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(this.base + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
    });
    if (!res.ok) throw new HttpError(res.status);
    const text = await res.text();
    return (text ? JSON.parse(text) : {}) as T;
  }
}
