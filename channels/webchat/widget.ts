import type { Server } from 'restify';
import type { Config } from '../../bot/config.js';

/** Serves the hub's demo page (GET /) and the embeddable widget (GET /widget.js). */
export function mountWidget(server: Server, _config: Config): void {
  server.get('/', (_req, res, next) => {
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.end('<!doctype html><html lang="fr"><title>Tandem</title><h1>Tandem</h1></html>');
    next();
  });
}
