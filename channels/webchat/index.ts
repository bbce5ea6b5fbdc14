import { createHash, randomBytes } from 'node:crypto';
import restify, { type Request, type Response } from 'restify';
import { sameSecret } from '../../bot/http/body.js';
import { LINK_TTL_MS } from '../../bot/services/links.js';
import type { ChannelDeps } from '../shared/deps.js';
import { mountDirectLine, newUserId } from './directline.js';
import { allowOrigins, bearer, clientAddress, fail, RateLimiter } from './http.js';
import { WEBCHAT, WebchatOutbound } from './outbound.js';
import { WebchatStore } from './store.js';
import { DirectLineStream } from './stream.js';
import { TokenSigner } from './tokens.js';
import { WebchatTurns } from './turns.js';
import { mountWidget } from './widget.js';

export interface WebchatChannel {
  store: WebchatStore;
  turns: WebchatTurns;
  signer: TokenSigner;
  stream: DirectLineStream;
  close(): void;
}

/**
 * The web chat channel: the Direct Line 3.0 endpoint, its WebSocket stream, the token endpoint of
 * the hub's page, and the widget itself. Always on.
 */
export function startWebchat(deps: ChannelDeps): WebchatChannel {
  const { server, config } = deps;
  const log = deps.log.child({ channel: 'webchat' });
  const store = new WebchatStore(deps.conn, log);
  const signer = new TokenSigner(config.tokenSigningKey, config.webchat.tokenTtlS);
  deps.bot.adapter.register(new WebchatOutbound(store));
  const turns = new WebchatTurns({
    store,
    engine: deps.bot.engine,
    inFlight: deps.inFlight,
    log,
    lostAfterMs: config.webchat.recoverAfterS * 1000,
  });
  allowOrigins(server, config.webchat.origins);
  mountDirectLine(server, { config, log, store, signer, turns });
  const stream = new DirectLineStream(server.server, {
    store,
    signer,
    origins: config.webchat.origins,
    log,
    turns,
  });

  // The widget's own token endpoint: same origin only, a few tokens per minute per address.
  const limiter = new RateLimiter(10, 60_000);
  // A page of ours, or one listed in WEBCHAT_ORIGINS (another site of the hub, so "cross-site");
  // without an Origin, a browser's own word that the request is not from another site.
  const fromOurPages = (req: Request) => {
    const origin = req.headers.origin;
    if (origin !== undefined) return config.webchat.origins.includes(origin);
    return req.headers['sec-fetch-site'] !== 'cross-site';
  };
  /** The channels a person can go on in, with a one-time link (Telegram when it is on). */
  const handoffChannels = () =>
    deps.bot.adapter.channelIds.filter((id) => deps.bot.adapter.channel(id).handoffUrl !== undefined);
  const small = restify.plugins.bodyParser({ maxBodySize: 4096, mapParams: false });
  /** A new person's conversation, with the key that takes it back later (its hash is kept). */
  const newConversation = async (): Promise<Opened> => {
    const userId = newUserId();
    const resumeKey = randomBytes(24).toString('base64url');
    return { userId, conversationId: await store.createConversation(userId, hashOf(resumeKey)), resumeKey };
  };
  server.post('/webchat/token', small, async (req: Request, res: Response) => {
    if (!fromOurPages(req)) {
      return fail(res, 403, 'BadOrigin', 'Tokens are only given to the hub’s own pages.');
    }
    if (!limiter.take(clientAddress(req, config.trustProxy))) {
      res.header('Retry-After', '60');
      return fail(res, 429, 'TooManyRequests', 'Too many tokens asked; try again in a minute.');
    }
    // The widget's last token, expired while the page slept or was closed, with the key it was
    // given with its conversation: the same person goes on in the same conversation
    // (WEBCHAT_RESUME_DAYS), rather than start again as someone new. The token travels in stream
    // URLs (logs); the key only in this body.
    const body = (req.body ?? {}) as { resume?: unknown; key?: unknown };
    const earlier =
      typeof body.resume === 'string'
        ? signer.resumable(body.resume, config.webchat.resumeDays * 86_400)
        : undefined;
    const kept = earlier && (await store.conversation(earlier.conversationId))?.resumeHash;
    const resumed =
      kept && typeof body.key === 'string' && sameSecret(hashOf(body.key), kept) ? earlier : undefined;
    if (body.resume !== undefined && !resumed) {
      return fail(res, 409, 'NotResumable', 'That conversation cannot be resumed; ask for a new one.');
    }
    const opened: Opened = resumed ?? (await newConversation());
    const { userId, conversationId, resumeKey } = opened;
    res.json(200, {
      conversationId,
      userId,
      token: signer.issue(conversationId, userId),
      expires_in: signer.ttl,
      ...(resumeKey ? { resumeKey } : {}),
      handoff: handoffChannels(),
    });
  });

  // "Continuer sur Telegram": a one-time link (15 minutes) to go on in another channel.
  const handoffLimiter = new RateLimiter(10, 60_000);
  server.post('/webchat/handoff/:channel', async (req: Request, res: Response) => {
    if (!fromOurPages(req)) return fail(res, 403, 'BadOrigin', 'Only the hub’s own pages may ask.');
    const claims = signer.verify(bearer(req) ?? '');
    if (!claims) return fail(res, 403, 'TokenInvalid', 'A valid web chat token is needed.');
    if (!handoffLimiter.take(claims.userId)) {
      res.header('Retry-After', '60');
      return fail(res, 429, 'TooManyRequests', 'Too many links asked; try again in a minute.');
    }
    const target = req.params.channel;
    if (!handoffChannels().includes(target)) return fail(res, 404, 'NotFound', 'No such channel here.');
    const identity = await deps.bot.services.people.identity(WEBCHAT, claims.userId);
    if (!identity) return fail(res, 409, 'NotStarted', 'Start the conversation here first.');
    const { code, expiresAt } = await deps.bot.services.links.create(identity.personId);
    const url = await deps.bot.adapter.channel(target).handoffUrl?.(code);
    if (!url) return fail(res, 503, 'Unavailable', 'This channel cannot be reached right now.');
    log.info({ to: target }, 'handoff link issued');
    res.json(200, { url, expires_at: expiresAt.toISOString(), expires_in: LINK_TTL_MS / 1000 });
  });
  mountWidget(server, config);
  log.info({ origins: config.webchat.origins }, 'web chat channel on');
  return {
    store,
    turns,
    signer,
    stream,
    close: () => {
      turns.close();
      stream.close();
    },
  };
}

/** The conversation a token is given for; with the key to take it back, when it is new. */
interface Opened {
  userId: string;
  conversationId: string;
  resumeKey?: string;
}

const hashOf = (key: string): string => createHash('sha256').update(key).digest('hex');
