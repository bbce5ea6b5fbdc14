import { existsSync } from 'node:fs';
import http from 'node:http';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../bot/db/ferretdb.js';
import { startTestApp } from '../helpers/app.js';

const CHROMIUM = '/usr/bin/chromium';
const STEP_MS = 10_000;

let browser: Browser;
let site: http.Server;
let siteUrl: string;

/**
 * Another page of the hub, on another origin, that embeds the widget as the README says: a
 * container and the script, served from the app's own address.
 */
beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium is missing at ${CHROMIUM}`);
  const [appPort, sitePort] = [await freePort(), await freePort()];
  const appOrigin = `http://127.0.0.1:${appPort}`;
  siteUrl = `http://127.0.0.1:${sitePort}`;
  await startTestApp({ PORT: String(appPort), PUBLIC_URL: appOrigin, WEBCHAT_ORIGINS: siteUrl });
  site = http.createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(
      `<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Le hub</title>` +
        `<script src="${appOrigin}/widget.js" defer></script></head>` +
        `<body><main><h1>Le hub du mentorat</h1><div id="tandem-chat"></div></main></body></html>`,
    );
  });
  await new Promise<void>((resolve) => site.listen(sitePort, '127.0.0.1', resolve));
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => site?.close(resolve));
});

describe('the widget embedded on another page of the hub', () => {
  it('talks to the app from that origin: token, conversation, messages and the stream', async () => {
    const context = await browser.newContext({ locale: 'fr-FR', reducedMotion: 'reduce' });
    const page = await context.newPage();
    const refused: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') refused.push(m.text());
    });
    await page.goto(siteUrl);
    await page.getByRole('button', { name: 'Discuter avec Tandem' }).click();
    const botSays = (text: RegExp) =>
      page.locator('.tandem-bot', { hasText: text }).last().waitFor({ timeout: STEP_MS });
    await botSays(/Acceptez-vous que nous traitions vos données/);
    await page.locator('button.tandem-action', { hasText: "J'accepte" }).last().click();
    await botSays(/Quelle est votre tranche d'âge/);
    expect(refused.filter((m) => /CORS|blocked/i.test(m))).toEqual([]);
    await context.close();
  }, 30_000);
});
