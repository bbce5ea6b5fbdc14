import type { Connection } from 'mongoose';
import type { Server } from 'restify';
import type { Bot } from '../../bot/bot.js';
import type { Config } from '../../bot/config.js';
import type { InFlight } from '../../bot/lifecycle.js';
import type { Logger } from '../../bot/log.js';
import { mountDirectLine, newUserId } from './directline.js';
import { fail, RateLimiter } from './http.js';
import { WebchatOutbound } from './outbound.js';
import { WebchatStore } from './store.js';
import { DirectLineStream } from './stream.js';
import { TokenSigner } from './tokens.js';
import { mountWidget } from './widget.js';

export interface WebchatChannel {
  store: WebchatStore;
  signer: TokenSigner;
  stream: DirectLineStream;
  close(): void;
}

/**
 * The web chat channel: the Direct Line 3.0 endpoint, its WebSocket stream, the token endpoint of
 * the hub's page, and the widget itself. Always on.
 */
export function startWebchat(deps: {
  server: Server;
  conn: Connection;
  bot: Bot;
  config: Config;
  log: Logger;
  inFlight: InFlight;
}): WebchatChannel {
  const { server, config } = deps;
  const log = deps.log.child({ channel: 'webchat' });
  const store = new WebchatStore(deps.conn);
  const signer = new TokenSigner(config.tokenSigningKey, config.webchat.tokenTtlS);
  deps.bot.adapter.register(new WebchatOutbound(store));
  mountDirectLine(server, { config, log, store, signer, engine: deps.bot.engine, inFlight: deps.inFlight });
  const stream = new DirectLineStream(server.server, { store, signer, origins: config.webchat.origins, log });

  // The widget's own token endpoint: same origin only, a few tokens per minute per address.
  const limiter = new RateLimiter(10, 60_000);
  const sameOrigin = new URL(config.publicUrl).origin;
  server.post('/webchat/token', async (req, res) => {
    const origin = req.headers.origin;
    const site = req.headers['sec-fetch-site'];
    if (
      (origin !== undefined && origin !== sameOrigin && !config.webchat.origins.includes(origin)) ||
      site === 'cross-site'
    ) {
      return fail(res, 403, 'BadOrigin', 'Tokens are only given to the hub’s own pages.');
    }
    if (!limiter.take(req.socket.remoteAddress ?? '?')) {
      res.header('Retry-After', '60');
      return fail(res, 429, 'TooManyRequests', 'Too many tokens asked; try again in a minute.');
    }
    const userId = newUserId();
    const conversationId = await store.createConversation(userId);
    res.json(200, {
      conversationId,
      userId,
      token: signer.issue(conversationId, userId),
      expires_in: signer.ttl,
    });
  });
  mountWidget(server, config);
  log.info({ origins: config.webchat.origins }, 'web chat channel on');
  return { store, signer, stream, close: () => stream.close() };
}
