import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import type { FakeSlack } from './fake-slack.js';

/**
 * A fake of Slack's Socket Mode side, for tests that run Bolt's own SocketModeReceiver and the
 * @slack/socket-mode client against loopback.
 *
 * - HTTP: `POST /api/apps.connections.open` with the app-level token (xapp-…) as Bearer answers
 *   `{ ok: true, url: 'ws://127.0.0.1:PORT/link/?ticket=…&app_id=…' }` (one ticket per call, good for
 *   one connection). Every other path is proxied as is to the fake Web API (fake-slack.ts), so
 *   chat.postMessage and the others still land in its records: point SLACK_API_URL at `apiUrl`.
 * - WebSocket on /link/: `hello` on connect; envelopes pushed with send…(); every message the client
 *   sends back with an envelope_id recorded as an acknowledgement, with its time. Pings are answered
 *   (ws answers them itself) and counted. `disconnect()` sends Slack's disconnect message.
 *
 * Wire formats follow Slack's Socket Mode docs and what SocketModeClient (@slack/socket-mode 3.x)
 * reads: `type`, `envelope_id`, `payload`, `accepts_response_payload`, `retry_attempt`,
 * `retry_reason`; the ack is `{ envelope_id, payload? }`.
 */

export type EnvelopeType = 'events_api' | 'interactive' | 'slash_commands';

export interface SocketEnvelope {
  envelope_id: string;
  type: EnvelopeType;
  /** events_api: the event_callback body; interactive: the payload object; slash_commands: the fields. */
  payload: object;
  accepts_response_payload: boolean;
  /** events_api only. */
  retry_attempt?: number;
  retry_reason?: string;
}

export interface SentEnvelope {
  envelope: SocketEnvelope;
  /** Date.now() when it was written to the socket. */
  at: number;
}

export interface SocketAck {
  envelope_id: string;
  /** What the client put in the ack (Bolt sends `{}` for events, the ack(…) argument otherwise). */
  payload?: unknown;
  /** Date.now() when it arrived. */
  at: number;
  /** Milliseconds since the envelope was sent; undefined for an envelope this fake never sent. */
  delayMs?: number;
  raw: string;
}

export interface ConnectionsOpenCall {
  at: number;
  /** The Bearer token presented, if any. */
  token?: string;
  ok: boolean;
  error?: string;
  url?: string;
}

export interface SocketConnection {
  id: number;
  ticket: string;
  openedAt: number;
  /** Set once the socket is closed; 1000 when the client closed it normally. */
  closedAt?: number;
  closeCode?: number;
  /** Pings received from the client (answered with a pong). */
  pings: number;
}

export interface SendOptions {
  /** A fresh UUID by default (each delivery, retries included, has its own envelope). */
  envelopeId?: string;
  /** events_api: 0 for the first delivery. */
  retryAttempt?: number;
  /** events_api: '' for the first delivery, e.g. 'timeout' for a retry. */
  retryReason?: string;
  acceptsResponsePayload?: boolean;
}

export type DisconnectReason = 'warning' | 'refresh_requested' | 'link_disabled';

export interface FakeSlackSocketOptions {
  /** The app-level token apps.connections.open accepts. */
  appToken?: string;
  appId?: string;
}

export interface FakeSlackSocket {
  /** Base URL, e.g. http://127.0.0.1:PORT. */
  readonly url: string;
  /** The app's SLACK_API_URL: apps.connections.open here, every other method proxied to the Web API fake. */
  readonly apiUrl: string;
  readonly appToken: string;
  readonly appId: string;
  readonly opens: ConnectionsOpenCall[];
  readonly connections: SocketConnection[];
  readonly sent: SentEnvelope[];
  readonly acks: SocketAck[];
  /** Anything else the client sent (not JSON, or without envelope_id). */
  readonly unexpected: string[];
  /** Sockets open and usable: the close handshake not begun (the fake never starts one itself). */
  openCount(): number;
  /** Resolves once at least `count` connections have been opened (and greeted) in total. */
  waitForConnection(count?: number, timeoutMs?: number): Promise<SocketConnection>;
  /** Resolves once every socket opened so far is closed (TCP included). */
  waitForClosed(timeoutMs?: number): Promise<void>;
  /** Writes an envelope as is on the latest open connection. */
  send(envelope: SocketEnvelope): void;
  /** An events_api envelope around an event_callback body; returns its envelope_id. */
  sendEvent(body: object, opts?: SendOptions): string;
  /** An interactive envelope (block_actions, view_submission…); returns its envelope_id. */
  sendInteractive(payload: object, opts?: SendOptions): string;
  /** A slash_commands envelope (the command's fields); returns its envelope_id. */
  sendSlashCommand(fields: Record<string, string>, opts?: SendOptions): string;
  ackOf(envelopeId: string): SocketAck | undefined;
  acksOf(envelopeId: string): SocketAck[];
  waitForAck(envelopeId: string, timeoutMs?: number): Promise<SocketAck>;
  /** Slack's `{ type: 'disconnect', reason }` on the latest open connection: the client reconnects. */
  disconnect(reason?: DisconnectReason): void;
  /** Closes sockets and the HTTP server. Stop the app first, or its client will try to reconnect. */
  close(): Promise<void>;
}

export async function startFakeSlackSocket(
  web: FakeSlack,
  opts: FakeSlackSocketOptions = {},
): Promise<FakeSlackSocket> {
  const fake = new FakeSlackSocketServer(web, opts);
  await fake.listen();
  return fake;
}

// ---------------------------------------------------------------------------------------------

const HOST = 'applink-fake-1';

async function waitUntil<T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() >= deadline) throw new Error(`fake Slack socket: timed out after ${timeoutMs} ms ${what}`);
    await sleep(10);
  }
}

class FakeSlackSocketServer implements FakeSlackSocket {
  readonly appToken: string;
  readonly appId: string;
  readonly opens: ConnectionsOpenCall[] = [];
  readonly connections: SocketConnection[] = [];
  readonly sent: SentEnvelope[] = [];
  readonly acks: SocketAck[] = [];
  readonly unexpected: string[] = [];
  url = '';

  private readonly server: Server;
  private readonly wss = new WebSocketServer({ noServer: true });
  /** Tickets handed out by apps.connections.open and not used yet. */
  private readonly tickets = new Set<string>();
  private readonly sockets = new Map<WebSocket, SocketConnection>();

  constructor(
    private readonly web: FakeSlack,
    opts: FakeSlackSocketOptions,
  ) {
    this.appToken = opts.appToken ?? 'xapp-1-A07T4NDEM01-test';
    this.appId = opts.appId ?? 'A07T4NDEM01';
    // Plain statusCode + setHeader + end: restify patches ServerResponse so writeHead() returns undefined.
    this.server = createServer((req, res) => this.handle(req, res));
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
      this.upgrade(req, socket, head),
    );
  }

  get apiUrl(): string {
    return `${this.url}/api/`;
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}`;
  }

  async close(): Promise<void> {
    for (const ws of this.sockets.keys()) ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // --- test-facing ---

  openCount(): number {
    return [...this.sockets.keys()].filter((ws) => ws.readyState === ws.OPEN).length;
  }

  async waitForConnection(count = 1, timeoutMs = 5000): Promise<SocketConnection> {
    return waitUntil(() => this.connections[count - 1], timeoutMs, `waiting for connection #${count}`);
  }

  async waitForClosed(timeoutMs = 3000): Promise<void> {
    await waitUntil(
      () => (this.sockets.size === 0 ? true : undefined),
      timeoutMs,
      'waiting for sockets to close',
    );
  }

  send(envelope: SocketEnvelope): void {
    const ws = [...this.sockets.keys()].at(-1);
    if (!ws) throw new Error('fake Slack socket: no open connection to send on');
    ws.send(JSON.stringify(envelope));
    this.sent.push({ envelope, at: Date.now() });
  }

  sendEvent(body: object, opts: SendOptions = {}): string {
    return this.push({
      envelope_id: opts.envelopeId ?? randomUUID(),
      type: 'events_api',
      payload: body,
      accepts_response_payload: opts.acceptsResponsePayload ?? false,
      retry_attempt: opts.retryAttempt ?? 0,
      retry_reason: opts.retryReason ?? '',
    });
  }

  sendInteractive(payload: object, opts: SendOptions = {}): string {
    // Slack lets the ack carry a response for the payloads that take one (view submissions, options).
    const type = (payload as { type?: unknown }).type;
    const takesResponse = type === 'view_submission' || type === 'block_suggestion';
    return this.push({
      envelope_id: opts.envelopeId ?? randomUUID(),
      type: 'interactive',
      payload,
      accepts_response_payload: opts.acceptsResponsePayload ?? takesResponse,
    });
  }

  sendSlashCommand(fields: Record<string, string>, opts: SendOptions = {}): string {
    return this.push({
      envelope_id: opts.envelopeId ?? randomUUID(),
      type: 'slash_commands',
      payload: fields,
      accepts_response_payload: opts.acceptsResponsePayload ?? true,
    });
  }

  ackOf(envelopeId: string): SocketAck | undefined {
    return this.acks.find((a) => a.envelope_id === envelopeId);
  }

  acksOf(envelopeId: string): SocketAck[] {
    return this.acks.filter((a) => a.envelope_id === envelopeId);
  }

  async waitForAck(envelopeId: string, timeoutMs = 3000): Promise<SocketAck> {
    return waitUntil(() => this.ackOf(envelopeId), timeoutMs, `waiting for the ack of ${envelopeId}`);
  }

  disconnect(reason: DisconnectReason = 'refresh_requested'): void {
    const ws = [...this.sockets.keys()].at(-1);
    if (!ws) throw new Error('fake Slack socket: no open connection to disconnect');
    ws.send(JSON.stringify({ type: 'disconnect', reason, debug_info: { host: HOST } }));
  }

  // --- HTTP ---

  private push(envelope: SocketEnvelope): string {
    this.send(envelope);
    return envelope.envelope_id;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = new URL(req.url ?? '/', 'http://fake-slack-socket').pathname;
    if (path === '/api/apps.connections.open') {
      req.resume();
      req.on('end', () => this.connectionsOpen(req, res));
      return;
    }
    this.proxy(req, res);
  }

  /** App-level token in the Authorization header only, as Slack requires for this method. */
  private connectionsOpen(req: IncomingMessage, res: ServerResponse): void {
    const token = /^Bearer\s+(.*)$/i.exec(req.headers.authorization ?? '')?.[1];
    let error: string | undefined;
    if (req.method !== 'POST') error = 'insecure_request';
    else if (!token) error = 'not_authed';
    else if (!token.startsWith('xapp-')) error = 'not_allowed_token_type';
    else if (token !== this.appToken) error = 'invalid_auth';
    let body: Record<string, unknown>;
    if (error) {
      body = { ok: false, error };
    } else {
      const ticket = randomUUID();
      this.tickets.add(ticket);
      const wsBase = this.url.replace(/^http/, 'ws');
      body = { ok: true, url: `${wsBase}/link/?ticket=${ticket}&app_id=${this.appId}` };
    }
    this.opens.push({
      at: Date.now(),
      ...(token !== undefined && { token }),
      ok: !error,
      ...(error !== undefined && { error }),
      ...(typeof body.url === 'string' && { url: body.url }),
    });
    res.statusCode = 200;
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.end(JSON.stringify(body));
  }

  /** Every other Web API method goes to the fake Web API, untouched. */
  private proxy(req: IncomingMessage, res: ServerResponse): void {
    const target = new URL(req.url ?? '/', this.web.url);
    const upstream = request(
      target,
      { method: req.method, headers: { ...req.headers, host: target.host }, agent: false },
      (answer) => {
        res.statusCode = answer.statusCode ?? 502;
        for (const [name, value] of Object.entries(answer.headers)) {
          if (value === undefined || name === 'connection' || name === 'transfer-encoding') continue;
          res.setHeader(name, value);
        }
        answer.pipe(res);
      },
    );
    upstream.on('error', (err) => {
      if (!res.headersSent) {
        res.statusCode = 502;
        res.setHeader('content-type', 'application/json; charset=utf-8');
      }
      res.end(JSON.stringify({ ok: false, error: 'fake_proxy_error', detail: String(err) }));
    });
    req.pipe(upstream);
  }

  // --- WebSocket ---

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://fake-slack-socket');
    const ticket = url.searchParams.get('ticket') ?? '';
    if (url.pathname !== '/link/' || !this.tickets.delete(ticket)) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.greet(ws, ticket));
  }

  private greet(ws: WebSocket, ticket: string): void {
    const connection: SocketConnection = {
      id: this.connections.length + 1,
      ticket,
      openedAt: Date.now(),
      pings: 0,
    };
    this.sockets.set(ws, connection);
    ws.on('ping', () => {
      connection.pings++;
    });
    ws.on('message', (data: RawData, isBinary: boolean) => this.receive(data, isBinary));
    ws.on('close', (code: number) => {
      connection.closedAt = Date.now();
      connection.closeCode = code;
      this.sockets.delete(ws);
    });
    ws.on('error', () => {
      // A client that vanished: its close follows.
    });
    ws.send(
      JSON.stringify({
        type: 'hello',
        num_connections: this.sockets.size,
        debug_info: { host: HOST, build_number: 1, approximate_connection_time: 18060 },
        connection_info: { app_id: this.appId },
      }),
    );
    // Listed only once greeted: an envelope sent after waitForConnection() follows the hello.
    this.connections.push(connection);
  }

  private receive(data: RawData, isBinary: boolean): void {
    const at = Date.now();
    const bytes = Buffer.isBuffer(data)
      ? data
      : Array.isArray(data)
        ? Buffer.concat(data)
        : Buffer.from(data);
    const raw = isBinary ? `<binary ${bytes.length} bytes>` : bytes.toString('utf8');
    let message: unknown;
    try {
      message = JSON.parse(raw);
    } catch {
      this.unexpected.push(raw);
      return;
    }
    const envelopeId = (message as { envelope_id?: unknown } | null)?.envelope_id;
    if (typeof envelopeId !== 'string') {
      this.unexpected.push(raw);
      return;
    }
    const sent = this.sent.find((s) => s.envelope.envelope_id === envelopeId);
    const payload = (message as { payload?: unknown }).payload;
    this.acks.push({
      envelope_id: envelopeId,
      ...(payload !== undefined && { payload }),
      at,
      ...(sent && { delayMs: at - sent.at }),
      raw,
    });
  }
}
