import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  chromium,
  type Page,
} from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../bot/app.js';
import { freePort } from '../../bot/db/ferretdb.js';
import { TokenSigner } from '../../channels/webchat/tokens.js';
import { startTestApp, TEST_SIGNING_KEY } from '../helpers/app.js';

const CHROMIUM = '/usr/bin/chromium';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const SCREENSHOT = join(ROOT, 'test', 'artifacts', 'widget.png');
const STEP_MS = 10_000;

let app: App;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const pageErrors: string[] = [];

/** Counts the WebSockets the page opens, and lets the test drop one. */
const SPY_SOCKETS = `(() => {
  const Native = window.WebSocket;
  window.__sockets = [];
  window.WebSocket = class extends Native {
    constructor(...args) { super(...args); window.__sockets.push(this); }
  };
})();`;

interface Shown {
  id: string;
  who: string;
  text: string;
}

/** The messages in the log, as a person sees them. */
async function shown(p: Page = page): Promise<Shown[]> {
  return p.locator('.tandem-msg').evaluateAll((nodes) =>
    nodes.map((n) => ({
      id: (n as HTMLElement).dataset.id ?? '',
      who: n.classList.contains('tandem-user') ? 'user' : 'bot',
      text: n.querySelector('.tandem-bubble')?.textContent ?? '',
    })),
  );
}

let visitors = 0;

/**
 * A browser of its own, from an address of its own (X-Forwarded-For, the app trusting one proxy):
 * the widget's token endpoint gives 10 conversations a minute per address, and this file opens
 * more than that.
 */
function visitorContext(options: BrowserContextOptions): Promise<BrowserContext> {
  visitors++;
  return browser.newContext({
    ...options,
    extraHTTPHeaders: { 'X-Forwarded-For': `198.51.100.${visitors}` },
  });
}

/** A new visitor (a browser context of their own) who opens the chat and gets the consent question. */
async function newVisitor(run: (p: Page) => Promise<void>): Promise<void> {
  const other = await visitorContext({ locale: 'fr-FR' });
  try {
    const p = await other.newPage();
    await p.goto(`${app.url}/`);
    await p.getByRole('button', { name: 'Discuter avec Tandem' }).click();
    await botSays(/Acceptez-vous que nous traitions vos données/, p);
    await run(p);
  } finally {
    await other.close();
  }
}

/** What the widget keeps in the page's storage (its conversation, user and token). */
function storedSession(p: Page): Promise<{ conversationId: string; userId: string }> {
  return p.evaluate(() => JSON.parse(localStorage.getItem('tandem.webchat') ?? '{}'));
}

/** Replaces the widget's kept token by one of the same conversation that expired `msAgo` ago. */
async function expireToken(p: Page, msAgo: number) {
  const kept = await storedSession(p);
  const at = Date.now() - msAgo;
  const token = new TokenSigner(TEST_SIGNING_KEY, 60, () => at).issue(kept.conversationId, kept.userId);
  await p.evaluate((s) => localStorage.setItem('tandem.webchat', JSON.stringify(s)), {
    ...kept,
    token,
    expiresAt: at + 60_000,
  });
  return kept;
}

/** Waits for a bot message matching `text`. */
async function botSays(text: RegExp, p: Page = page): Promise<void> {
  await p.locator('.tandem-bot', { hasText: text }).last().waitFor({ timeout: STEP_MS });
}

/** Clicks the (one) enabled quick reply of that title, with the mouse, then checks where focus went. */
async function press(title: string, p: Page = page): Promise<void> {
  await p.getByRole('button', { name: title, exact: true, disabled: false }).click({ timeout: STEP_MS });
  expect(await focusedLabel(p)).toBe('Votre message');
}

/** Types an answer on the keyboard in the focused text field, then Enter. */
async function type(text: string): Promise<void> {
  expect(await focusedLabel()).toBe('Votre message');
  await page.keyboard.type(text);
  await page.keyboard.press('Enter');
}

function focusedLabel(p: Page = page): Promise<string | null> {
  return p.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? null);
}

/** Waits until `check` passes (a few seconds at most). */
async function eventually(check: () => Promise<void>, ms = STEP_MS): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is missing at ${CHROMIUM}: the widget's browser test needs it (Debian: apt-get install chromium).`,
    );
  }
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  app = await startTestApp({
    PORT: String(port),
    PUBLIC_URL: origin,
    WEBCHAT_ORIGINS: origin,
    TRUST_PROXY: '1',
  });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  // bypassCSP: only for axe-core, injected by the test; the widget itself runs under the page's CSP.
  // Reduced motion: the widget then scrolls without animation, and buttons hold still at once.
  context = await browser.newContext({
    viewport: { width: 1100, height: 900 },
    locale: 'fr-FR',
    reducedMotion: 'reduce',
    bypassCSP: true,
  });
  await context.addInitScript(SPY_SOCKETS);
  page = await context.newPage();
  page.on('pageerror', (err) => pageErrors.push(String(err)));
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

describe('the web chat widget in a browser', () => {
  it('serves the demo page and a small bundled widget', async () => {
    const html = await fetch(`${app.url}/`);
    expect(html.headers.get('content-type')).toMatch(/^text\/html/);
    const body = await html.text();
    expect(body).toContain('<html lang="fr">');
    expect(body).toContain('<script src="/widget.js" defer></script>');
    const js = await fetch(`${app.url}/widget.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    expect(js.headers.get('cache-control')).toMatch(/max-age=\d+/);
    const code = await js.text();
    expect(code.length).toBeLessThan(40_000);
    expect(code).toContain('Discuter avec Tandem');
    const again = await fetch(`${app.url}/widget.js`, {
      headers: { 'If-None-Match': js.headers.get('etag') ?? '' },
    });
    expect(again.status).toBe(304);
  });

  it('takes a mentee through the whole onboarding, by mouse and keyboard', async () => {
    await page.goto(`${app.url}/`);
    expect(await page.title()).toBe('Tandem – le Hub du mentorat');
    await page.getByRole('button', { name: 'Discuter avec Tandem' }).click();
    expect(await focusedLabel()).toBe('Votre message');

    // The bot speaks first.
    await botSays(/bienvenue sur Tandem/);
    // Telegram is off here: no "Continuer sur Telegram".
    expect(await page.locator('.tandem-handoff').isHidden()).toBe(true);
    expect(await page.getByRole('button', { name: 'Continuer sur Telegram' }).count()).toBe(0);
    await botSays(/Acceptez-vous que nous traitions vos données/);
    await press("J'accepte");
    await botSays(/Quelle est votre tranche d'âge/);
    await press('26 à 35 ans');
    await botSays(/Comment vous appelez-vous/);
    await type('Léa');
    await botSays(/votre situation/);
    await press("Demandeur·se d'emploi");
    await botSays(/votre objectif/);
    await press('Trouver un emploi salarié');
    await botSays(/quels secteurs/);
    await press('Numérique');
    await botSays(/Votre sélection : Numérique\./);
    await press('Commerce');
    await botSays(/Votre sélection : Numérique, Commerce/);
    await press("C'est tout");
    await botSays(/quelle commune/);
    await type('Aubagne');
    await botSays(/Quand êtes-vous disponible/);
    await press('En soirée');
    await botSays(/Votre sélection : En soirée/);
    await press("C'est tout");
    await botSays(/en personne ou en visio/);
    await press('Les deux');
    await botSays(/quelles langues/);
    await press('Français');
    await botSays(/Votre sélection : Français/);
    await press("C'est tout");
    await botSays(/Qu'attendez-vous d'un mentor/);
    await type('<b>Relire mon CV</b>');
    await botSays(/Voici ce que j'ai noté/);

    // HTML typed by anyone stays text, in the user's message and in the bot's summary.
    const mine = page.locator('.tandem-user', { hasText: 'Relire mon CV' });
    expect(await mine.locator('.tandem-bubble').textContent()).toContain('<b>Relire mon CV</b>');
    const summary = page.locator('.tandem-bot', { hasText: /Voici ce que j'ai noté/ }).last();
    expect(await summary.textContent()).toContain('• Attentes : <b>Relire mon CV</b>');
    expect(await summary.textContent()).toContain('• Prénom : Léa');
    expect(await summary.textContent()).toContain('• Commune : Aubagne');
    expect(await page.locator('.tandem-log b').count()).toBe(0);

    await press("C'est correct");
    await botSays(/charte d'engagement/);
    await press("J'accepte la charte");
    await botSays(/Merci Léa, votre profil est complet/);

    // Each message shown once; the user's own messages come from the transcript.
    const messages = await shown();
    expect(new Set(messages.map((m) => m.id)).size).toBe(messages.length);
    expect(messages.filter((m) => m.who === 'user').map((m) => m.text.replace(/^Vous\s*:\s*/, ''))).toEqual([
      "J'accepte",
      '26 à 35 ans',
      'Léa',
      "Demandeur·se d'emploi",
      'Trouver un emploi salarié',
      'Numérique',
      'Commerce',
      "C'est tout",
      'Aubagne',
      'En soirée',
      "C'est tout",
      'Les deux',
      'Français',
      "C'est tout",
      '<b>Relire mon CV</b>',
      "C'est correct",
      "J'accepte la charte",
    ]);
  }, 45_000);

  it('shows the history once after a reload, with the old quick replies disabled', async () => {
    const before = await shown();
    await page.reload();
    // The panel stays open after a reload, and the transcript comes back from the start.
    await botSays(/Merci Léa, votre profil est complet/);
    await eventually(async () => expect((await shown()).length).toBe(before.length));
    await new Promise((r) => setTimeout(r, 1000));
    const after = await shown();
    expect(after).toEqual(before);
    expect(await page.locator('.tandem-bot', { hasText: /bienvenue sur Tandem/ }).count()).toBe(1);

    // Every quick reply is answered: all disabled, the choice made marked.
    const consent = page.locator('.tandem-bot', { hasText: /Acceptez-vous que nous traitions/ });
    const accept = consent.getByRole('button', { name: /^J'accepte/ });
    expect(await accept.isDisabled()).toBe(true);
    expect(await accept.getAttribute('class')).toContain('tandem-chosen');
    expect(await consent.getByRole('button', { name: 'Je refuse' }).isDisabled()).toBe(true);
    const enabled = await page.locator('.tandem-action:enabled').count();
    expect(enabled).toBe(0);
    // Even forced, an old button posts nothing.
    await accept.click({ force: true });
    await new Promise((r) => setTimeout(r, 700));
    expect((await shown()).length).toBe(before.length);
  }, 30_000);

  it('reconnects after a dropped socket without losing or repeating a message', async () => {
    const before = await shown();
    const sockets = await page.evaluate(
      () => (window as unknown as { __sockets: WebSocket[] }).__sockets.length,
    );
    await page.evaluate(() => (window as unknown as { __sockets: WebSocket[] }).__sockets.at(-1)?.close());
    // Sent while the socket is down: the post goes over HTTP, the answer comes on the next socket.
    await page.getByRole('textbox', { name: 'Votre message' }).focus();
    await type('Et maintenant ?');
    await eventually(async () => expect((await shown()).length).toBe(before.length + 2));
    const after = await shown();
    expect(after.slice(0, before.length)).toEqual(before);
    expect(after.at(-2)?.text).toContain('Et maintenant ?');
    // No mentor in this database: where her matching stands.
    expect(after.at(-1)?.text).toMatch(/pas encore de mentor à vous proposer/);
    expect(new Set(after.map((m) => m.id)).size).toBe(after.length);
    const reopened = await page.evaluate(
      () => (window as unknown as { __sockets: WebSocket[] }).__sockets.length,
    );
    expect(reopened).toBeGreaterThan(sockets);
    await new Promise((r) => setTimeout(r, 500));
    expect((await shown()).length).toBe(before.length + 2);
  }, 30_000);

  it('opens its stream again when it went silent, as a connection that died without closing', async () => {
    const other = await visitorContext({ locale: 'fr-FR' });
    try {
      const p = await other.newPage();
      await p.clock.install();
      let silenced = false;
      let opened = 0;
      await p.routeWebSocket(/\/stream\?/, (ws) => {
        const n = ++opened;
        const server = ws.connectToServer();
        server.onMessage((message) => {
          // The first socket goes quiet: nothing reaches the page, and nothing tells it so.
          if (!(silenced && n === 1)) ws.send(message);
        });
      });
      await p.goto(`${app.url}/`);
      await p.getByRole('button', { name: 'Discuter avec Tandem' }).click();
      await botSays(/Acceptez-vous que nous traitions vos données/, p);
      silenced = true;
      // A minute and more without even the stream's keep-alive (it comes every 25 s).
      await p.clock.fastForward(70_000);
      await eventually(async () => expect(opened).toBe(2));
      await press("J'accepte", p);
      await botSays(/Quelle est votre tranche d'âge/, p);
    } finally {
      await other.close();
    }
  }, 30_000);

  it('shows the bot typing, then a hero card as text, a link and buttons', async () => {
    const { conversationId } = await page.evaluate(() =>
      JSON.parse(localStorage.getItem('tandem.webchat') ?? '{}'),
    );
    const bot = { id: 'tandem', name: 'Tandem', role: 'bot' };
    const typing = page.locator('.tandem-typing');
    await typing.waitFor({ state: 'hidden' });
    await app.webchat.store.append(conversationId, [{ type: 'typing', from: bot, timestamp: new Date() }]);
    await typing.waitFor({ state: 'visible', timeout: STEP_MS });
    expect(await typing.textContent()).toContain('Tandem écrit…');
    const url = 'https://tandem.example.org/mentors/karim';
    await app.webchat.store.append(conversationId, [
      {
        type: 'message',
        from: bot,
        timestamp: new Date(),
        text: 'Voici un mentor pour vous :',
        attachments: [
          {
            contentType: 'application/vnd.microsoft.card.hero',
            content: {
              title: 'Karim, développeur',
              subtitle: 'Numérique · Aubagne',
              text: '<img src=x onerror="window.__pwned=1">15 ans de métier.',
              buttons: [
                {
                  type: 'messageBack',
                  title: 'Choisir Karim',
                  text: 'Choisir Karim',
                  value: { q: 'x', v: 'karim' },
                },
                { type: 'openUrl', title: 'Voir son profil', value: url },
              ],
            },
          },
        ],
      },
    ]);
    const card = page.locator('.tandem-card');
    await card.waitFor({ timeout: STEP_MS });
    await typing.waitFor({ state: 'hidden' });
    expect(await card.getByRole('heading', { name: 'Karim, développeur' }).count()).toBe(1);
    expect(await card.textContent()).toContain('Numérique · Aubagne');
    expect(await card.textContent()).toContain('<img src=x onerror="window.__pwned=1">15 ans de métier.');
    expect(await card.locator('img').count()).toBe(0);
    expect(await card.getByRole('link', { name: /Voir son profil/ }).getAttribute('href')).toBe(url);

    const before = (await shown()).length;
    await press('Choisir Karim');
    await eventually(async () => expect((await shown()).length).toBe(before + 2));
    const after = await shown();
    expect(after.at(-2)).toMatchObject({ who: 'user', text: expect.stringContaining('Choisir Karim') });
    expect(await card.getByRole('button', { name: /^Choisir Karim/ }).isDisabled()).toBe(true);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
  }, 20_000);

  it('has no serious or critical accessibility violation (axe-core)', async () => {
    const log = page.getByRole('log');
    expect(await log.getAttribute('aria-live')).toBe('polite');
    expect(await page.getByRole('textbox', { name: 'Votre message' }).count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Envoyer le message' }).textContent()).toBe('Envoyer');
    await page.addScriptTag({ path: AXE });
    const result = await page.evaluate(async () => {
      const axe = (window as unknown as { axe: { run(): Promise<{ violations: unknown[] }> } }).axe;
      return (await axe.run()).violations as Array<{ id: string; impact: string; nodes: unknown[] }>;
    });
    const bad = result
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.impact} ${v.id} (${v.nodes.length})`);
    expect(bad).toEqual([]);
    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  }, 20_000);

  it('is usable with the keyboard, with a visible focus ring', async () => {
    await page.locator('h1').click();
    const outline = () =>
      page.evaluate(() => {
        const el = document.activeElement as HTMLElement;
        const s = getComputedStyle(el);
        return {
          label: el.getAttribute('aria-label'),
          style: s.outlineStyle,
          width: Number.parseFloat(s.outlineWidth),
        };
      });
    let focus = await outline();
    for (let i = 0; i < 10 && focus.label !== 'Votre message'; i++) {
      await page.keyboard.press('Tab');
      focus = await outline();
    }
    expect(focus.label).toBe('Votre message');
    expect(focus.style).not.toBe('none');
    expect(focus.width).toBeGreaterThanOrEqual(2);
    await page.keyboard.press('Tab');
    focus = await outline();
    expect(focus.label).toBe('Envoyer le message');
    expect(focus.style).toBe('solid');
    expect(focus.width).toBeGreaterThanOrEqual(2);
    // Back up to the close button, and the launcher that then takes the focus.
    await page.getByRole('button', { name: 'Fermer la discussion' }).focus();
    await page.keyboard.press('Enter');
    focus = await outline();
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Discuter avec Tandem');
    expect(focus.width).toBeGreaterThanOrEqual(2);
    await page.keyboard.press('Enter');
    expect(await focusedLabel()).toBe('Votre message');
    // This browser asks for reduced motion: nothing moves.
    const animation = await page.evaluate(
      () => getComputedStyle(document.querySelector('.tandem-dots span') as Element).animationName,
    );
    expect(animation).toBe('none');
    expect(pageErrors).toEqual([]);
  }, 20_000);

  it('falls back to polling where there is no WebSocket', async () => {
    const other = await visitorContext({ locale: 'fr-FR' });
    try {
      await other.addInitScript('delete window.WebSocket; window.WebSocket = undefined;');
      const p = await other.newPage();
      await p.goto(`${app.url}/`);
      // The launcher, by keyboard.
      await p.getByRole('button', { name: 'Discuter avec Tandem' }).focus();
      await p.keyboard.press('Enter');
      await botSays(/Acceptez-vous que nous traitions vos données/, p);
      await press("J'accepte", p);
      await botSays(/Quelle est votre tranche d'âge/, p);
      const messages = await shown(p);
      expect(new Set(messages.map((m) => m.id)).size).toBe(messages.length);
      expect(messages.filter((m) => m.who === 'user').length).toBe(1);
    } finally {
      await other.close();
    }
  }, 20_000);

  it(
    'comes back to its conversation a day later, token long expired, as the same person',
    () =>
      newVisitor(async (p) => {
        await press("J'accepte", p);
        await botSays(/Quelle est votre tranche d'âge/, p);
        // The page was closed for a day: the token it kept expired long ago.
        const kept = await expireToken(p, 86_400_000);
        await p.reload();
        await botSays(/Quelle est votre tranche d'âge/, p);
        await p.getByRole('textbox', { name: 'Votre message' }).fill('26 à 35 ans');
        await p.keyboard.press('Enter');
        await botSays(/Comment vous appelez-vous/, p);
        const now = await storedSession(p);
        expect(now.conversationId).toBe(kept.conversationId);
        expect(now.userId).toBe(kept.userId);
        expect(await p.locator('.tandem-bot', { hasText: /bienvenue sur Tandem/ }).count()).toBe(1);
      }),
    30_000,
  );

  it(
    'sends a message refused for a token expired unseen (the tab slept), once its conversation is taken back',
    () =>
      newVisitor(async (p) => {
        const kept = await storedSession(p);
        // The server refuses the next post as it refuses an expired token.
        let refused = 0;
        let resumed = 0;
        await p.route('**/activities', async (route) => {
          if (route.request().method() === 'POST' && refused === 0) {
            refused++;
            return route.fulfill({
              status: 403,
              contentType: 'application/json',
              body: JSON.stringify({ error: { code: 'TokenExpired', message: 'expired' } }),
            });
          }
          return route.continue();
        });
        await p.route('**/webchat/token', async (route) => {
          if (route.request().postDataJSON()?.resume) resumed++;
          return route.continue();
        });
        await press("J'accepte", p);
        await botSays(/Quelle est votre tranche d'âge/, p);
        expect(refused).toBe(1);
        expect(resumed).toBe(1);
        expect((await storedSession(p)).conversationId).toBe(kept.conversationId);
        expect(await p.locator('.tandem-user').count()).toBe(1);
      }),
    30_000,
  );

  it(
    'starts a new conversation when its token expired longer ago than WEBCHAT_RESUME_DAYS',
    () =>
      newVisitor(async (p) => {
        const kept = await expireToken(p, 31 * 86_400_000);
        await p.reload();
        await eventually(async () => {
          const now = await storedSession(p);
          expect(now.conversationId).toBeTruthy();
          expect(now.conversationId).not.toBe(kept.conversationId);
        });
        await botSays(/Acceptez-vous que nous traitions vos données/, p);
      }),
    30_000,
  );

  it('floats on a page without a container, in the language of the page', async () => {
    const other = await visitorContext({ locale: 'en-GB' });
    try {
      const p = await other.newPage();
      const html =
        '<!doctype html><html lang="en"><head><title>Partner site</title>' +
        '<script src="/widget.js" defer></script></head><body><main><h1>A partner site</h1></main></body></html>';
      await p.route(`${app.url}/partner`, (route) => route.fulfill({ contentType: 'text/html', body: html }));
      await p.goto(`${app.url}/partner`);
      const launcher = p.getByRole('button', { name: 'Chat with Tandem' });
      expect(await launcher.evaluate((b) => getComputedStyle(b.parentElement as Element).position)).toBe(
        'fixed',
      );
      await launcher.click();
      expect(await focusedLabel(p)).toBe('Your message');
      await botSays(/Do you agree/i, p);
      await p.keyboard.press('Escape');
      expect(await launcher.isVisible()).toBe(true);
      expect(await p.evaluate(() => document.activeElement?.textContent)).toBe('Chat with Tandem');
    } finally {
      await other.close();
    }
  }, 20_000);
});
