import { createHmac } from 'node:crypto';
import type { App, Receiver, ReceiverEvent } from '@slack/bolt';
import type { Request, Response, Server } from 'restify';
import { readRawBody, sameSecret } from '../../bot/http/body.js';
import { InFlight } from '../../bot/lifecycle.js';
import type { Logger } from '../../bot/log.js';

export const EVENTS_PATH = '/slack/events';
/** Slack's rule: a request more than five minutes old (or ahead) may be a replay. */
const MAX_SKEW_S = 5 * 60;
/** Slack waits 3 s for the acknowledgement; answer before, whatever the listener does. */
const ACK_WITHIN_MS = 2500;

export interface SlackReceiverDeps {
  server: Server;
  signingSecret: string;
  log: Logger;
  inFlight: InFlight;
  /** Records an event id; false when it was already recorded (Slack retrying a delivery). */
  record(eventId: string): Promise<boolean>;
  /**
   * Resolves when the app can answer (its identity known to Slack); rejects otherwise, and the
   * request is answered 500 before anything is recorded, so that Slack delivers it again.
   */
  ready?(): Promise<unknown>;
  now?: () => number;
}

/**
 * A Bolt receiver on the shared restify server: events, interactivity and slash commands all
 * arrive on POST /slack/events. The signature is checked on the raw body before anything is
 * parsed or stored (401 otherwise); a retried event (same event_id) is acknowledged and dropped;
 * every request is acknowledged within 3 s and processed after.
 */
export class RestifyReceiver implements Receiver {
  private app?: App;
  /** Requests whose listeners are still running (also counted in deps.inFlight, for shutdown). */
  private readonly running = new InFlight();

  constructor(private readonly deps: SlackReceiverDeps) {
    // An empty key would make every signature computable by anyone.
    if (!deps.signingSecret) throw new Error('SLACK_SIGNING_SECRET is required for HTTP events');
  }

  init(app: App): void {
    this.app = app;
    this.deps.server.post(EVENTS_PATH, async (req: Request, res: Response) => this.handle(req, res));
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {}

  /** Resolves once every request received so far has been fully processed. */
  settled(): Promise<void> {
    return this.running.settled();
  }

  private async handle(req: Request, res: Response): Promise<void> {
    const { log } = this.deps;
    const arrived = Date.now();
    const raw = await readRawBody(req);
    if (raw === undefined) return void res.send(413, { ok: false, error: 'body_too_large' });
    if (!this.verified(req, raw)) {
      log.warn({ ip: req.socket.remoteAddress }, 'Slack request with a bad signature refused');
      return void res.send(401, { ok: false, error: 'invalid_signature' });
    }
    const body = parseBody(req.header('content-type') ?? '', raw);
    if (!body) return void res.send(400, { ok: false, error: 'bad_request' });
    if (body.type === 'url_verification') return void res.send(200, { challenge: body.challenge });
    if (body.type === 'event_callback' && typeof body.event_id === 'string') {
      try {
        await this.deps.ready?.();
      } catch {
        // Bolt would acknowledge it unanswered; recorded, its retries would be dropped.
        return void res.send(500, { ok: false });
      }
      let fresh: boolean;
      try {
        fresh = await this.deps.record(body.event_id);
      } catch (err) {
        // Not recorded: Slack will deliver it again.
        log.error({ err }, 'Slack event not recorded');
        return void res.send(500, { ok: false });
      }
      if (!fresh) {
        log.info(
          { retry: req.header('x-slack-retry-num') },
          'Slack retried an event already received: dropped',
        );
        return void res.send(200);
      }
    }
    await this.dispatch(req, res, body, arrived);
  }

  /** Runs the Bolt listeners; the HTTP answer goes out at the first ack, or after 2.5 s. */
  private async dispatch(
    req: Request,
    res: Response,
    body: Record<string, unknown>,
    arrived: number,
  ): Promise<void> {
    let answered = false;
    const answer = (payload?: unknown) => {
      if (answered) return;
      answered = true;
      if (payload === undefined || payload === '') res.send(200);
      else if (typeof payload === 'string') res.send(200, { text: payload });
      else res.send(200, payload);
    };
    // Counted from the request's arrival: reading and recording it took some of the 3 s already.
    const timer = setTimeout(() => answer(), Math.max(0, ACK_WITHIN_MS - (Date.now() - arrived)));
    const retry = req.header('x-slack-retry-num');
    const event: ReceiverEvent = {
      body,
      retryNum: retry ? Number(retry) : undefined,
      retryReason: req.header('x-slack-retry-reason') || undefined,
      ack: async (response) => answer(response),
    };
    await this.deps.inFlight
      .track(() =>
        this.running.track(async () => {
          try {
            await this.app?.processEvent(event);
          } finally {
            clearTimeout(timer);
            answer();
          }
        }),
      )
      .catch((err) => this.deps.log.error({ err }, 'Slack request failed'));
  }

  /** Slack's v0 signature: HMAC-SHA256 of `v0:<timestamp>:<body>`, compared in constant time. */
  private verified(req: Request, raw: string): boolean {
    const signature = req.header('x-slack-signature') ?? '';
    const timestamp = Number(req.header('x-slack-request-timestamp'));
    const now = Math.floor((this.deps.now ?? Date.now)() / 1000);
    if (!Number.isInteger(timestamp) || Math.abs(now - timestamp) > MAX_SKEW_S) return false;
    const expected = `v0=${createHmac('sha256', this.deps.signingSecret).update(`v0:${timestamp}:${raw}`).digest('hex')}`;
    return sameSecret(signature, expected);
  }
}

/**
 * Events come as JSON; interactivity as a form with one `payload` field holding JSON; slash
 * commands as a plain form.
 */
function parseBody(contentType: string, raw: string): Record<string, unknown> | undefined {
  try {
    if (contentType.includes('application/json')) return JSON.parse(raw) as Record<string, unknown>;
    const form = Object.fromEntries(new URLSearchParams(raw));
    if (typeof form.payload === 'string') return JSON.parse(form.payload) as Record<string, unknown>;
    return form;
  } catch {
    return undefined;
  }
}
