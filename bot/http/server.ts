import type { ServerResponse } from 'node:http';
import restify, { type Server } from 'restify';
import type { Database } from '../db/database.js';
import type { InFlight } from '../lifecycle.js';
import type { Logger } from '../log.js';

export interface HttpDeps {
  db: Database;
  inFlight: InFlight;
  log: Logger;
}

/** The restify server, and the switch that ends keep-alive when the process begins to stop. */
export type HttpServer = Server & {
  /**
   * From now on every answer, those being prepared included, says `Connection: close`: a client
   * whose request is in flight during the shutdown drain opens its next connection elsewhere (the
   * next process, behind a load balancer) rather than keep sending to one that is stopping.
   */
  closeAfterAnswers(): void;
};

/**
 * The shared restify server. Body parsing is per route: Slack's signature check needs the raw
 * body, so no global body parser.
 */
export function createHttpServer({ db, inFlight, log }: HttpDeps): HttpServer {
  const server = restify.createServer({ name: 'tandem', handleUncaughtExceptions: false });
  let closing = false;
  /** Answers whose headers are not sent yet. */
  const pending = new Set<ServerResponse>();
  const closeAfter = (res: ServerResponse) => {
    if (!res.headersSent) res.setHeader('Connection', 'close');
  };
  // Keep-alive connections stay open 65 s (Node's default is 5 s): a client or load balancer that
  // reuses a connection the server has just closed sees its request fail ("socket hang up", seen
  // once in the turns benchmark at 50 users). Load balancers keep idle connections 60 s; the server
  // must keep them longer. Idle ones are still closed at once on shutdown.
  server.server.keepAliveTimeout = 65_000;
  server.pre((_req, res, next) => {
    const end = inFlight.begin();
    const done = () => {
      pending.delete(res);
      end();
    };
    res.once('finish', done);
    res.once('close', done);
    if (closing) closeAfter(res);
    else pending.add(res);
    next();
  });
  server.use(restify.plugins.queryParser({ mapParams: false }));

  server.get('/healthz', (_req, res, next) => {
    res.json(200, { status: 'ok' });
    next();
  });

  server.get('/readyz', async (_req, res) => {
    const r = await db.readiness();
    if (r.ready) res.json(200, { status: 'ready' });
    else res.json(503, { status: 'not_ready', reason: r.reason });
  });

  server.on('restifyError', (req, _res, err, cb) => {
    log.warn({ err, method: req.method, url: req.url }, 'http error');
    cb();
  });
  return Object.assign(server, {
    closeAfterAnswers() {
      closing = true;
      for (const res of pending) closeAfter(res);
      pending.clear();
    },
  });
}
