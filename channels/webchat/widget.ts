import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Request, Response, Server } from 'restify';
import type { Config } from '../../bot/config.js';
import { LOCALES, LOCALES_DIR } from '../../bot/i18n.js';

const ENTRY = fileURLToPath(new URL('./widget/main.ts', import.meta.url));

type WidgetLocale = Record<string, unknown> & { page: Record<string, string> };

function widgetLocale(lng: string): WidgetLocale {
  return JSON.parse(readFileSync(join(LOCALES_DIR, lng, 'widget.json'), 'utf8')) as WidgetLocale;
}

/** The UI strings of every locale, as the bundle gets them (the demo page's part left out). */
export function widgetStrings(): Record<string, Record<string, unknown>> {
  return Object.fromEntries(
    LOCALES.map((lng) => {
      const { page: _page, ...ui } = widgetLocale(lng);
      return [lng, ui];
    }),
  );
}

export interface WidgetBundle {
  code: string;
  etag: string;
}

/** Bundles the widget (channels/webchat/widget/, TypeScript, no framework) into one small script. */
export async function buildWidget(): Promise<WidgetBundle> {
  const result = await build({
    entryPoints: [ENTRY],
    bundle: true,
    format: 'iife',
    minify: true,
    target: 'es2019',
    platform: 'browser',
    charset: 'utf8',
    legalComments: 'none',
    write: false,
    logLevel: 'silent',
    define: { __TANDEM_STRINGS__: JSON.stringify(widgetStrings()) },
  });
  const code = result.outputFiles[0]?.text ?? '';
  return { code, etag: `"${createHash('sha256').update(code).digest('base64url').slice(0, 22)}"` };
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The hub's demo page: a short word on Tandem and the widget, in French. */
export function demoPage(): string {
  const p = widgetLocale('fr').page;
  const t = (key: string) => escapeHtml(p[key] ?? key);
  return `<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${t('title')}</title>
<style>
body{margin:0;font:17px/1.6 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:#111827;background:#f8fafc}
header,main,footer{max-width:46rem;margin:0 auto;padding:1rem 1.25rem}
header{font-weight:700;color:#1e3a8a;font-size:1.25rem}
h1{font-size:2rem;line-height:1.2;color:#1e3a8a;margin:.5rem 0 1rem}
h2{font-size:1.35rem;color:#1e3a8a;margin:2rem 0 .5rem}
footer{color:#374151;font-size:.9rem;border-top:1px solid #cbd5e1;margin-top:2rem}
</style>
<script src="/widget.js" defer></script>
</head>
<body>
<header>Tandem</header>
<main>
<h1>${t('title')}</h1>
<p>${t('intro')}</p>
<h2>${t('how')}</h2>
<ol>
<li>${t('step1')}</li>
<li>${t('step2')}</li>
<li>${t('step3')}</li>
</ol>
<section aria-labelledby="chat-title">
<h2 id="chat-title">${t('chat')}</h2>
<p>${t('chat_intro')}</p>
<div id="tandem-chat"></div>
</section>
</main>
<footer><p>${t('footer')}</p></footer>
</body>
</html>
`;
}

/** Serves the hub's demo page (GET /) and the embeddable widget (GET /widget.js). */
export function mountWidget(server: Server, config: Config): void {
  let bundle: Promise<WidgetBundle> | undefined;
  const page = demoPage();
  const origin = new URL(config.publicUrl);
  const ws = `${origin.protocol === 'https:' ? 'wss' : 'ws'}://${origin.host}`;
  const csp = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    `connect-src 'self' ${ws}`,
    "img-src 'self' https: data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'self'",
  ].join('; ');

  server.get('/', (_req: Request, res: Response, next) => {
    res.writeHead(200, {
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-cache',
      'Content-Security-Policy': csp,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'same-origin',
    });
    res.end(page);
    next();
  });

  // Bundled once per process, on the first request; a failed build is tried again next time.
  server.get('/widget.js', async (req: Request, res: Response) => {
    bundle ??= buildWidget().catch((err) => {
      bundle = undefined;
      throw err;
    });
    const { code, etag } = await bundle;
    const headers = {
      'Content-Type': 'text/javascript; charset=utf-8',
      'Cache-Control': 'public, max-age=300',
      ETag: etag,
      'X-Content-Type-Options': 'nosniff',
    };
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    res.writeHead(200, headers);
    res.end(code);
  });
}
