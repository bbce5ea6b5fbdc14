import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page, type Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../bot/app.js';
import { freePort } from '../../bot/db/ferretdb.js';
import { startTestApp } from '../helpers/app.js';
import { type FakeTelegram, startFakeTelegram } from '../helpers/fake-telegram.js';
import { telegramEnv } from '../helpers/telegram-user.js';

const CHROMIUM = '/usr/bin/chromium';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const SCREENSHOT = join(ROOT, 'test', 'artifacts', 'handoff.png');
const STEP_MS = 10_000;
const LINK = /^https:\/\/t\.me\/TandemHubBot\?start=l-[A-Za-z0-9_-]+$/;
const NOTE = "Ce lien est valable 15 minutes et ne sert qu'une fois. Vos réponses vous suivent.";
const ACTIVITIES = '**/v3/directline/conversations/*/activities';

let fake: FakeTelegram;
let app: App;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

const handoffButton = (p: Page = page) => p.getByRole('button', { name: 'Continuer sur Telegram' });
const note = (p: Page = page) => p.locator('.tandem-handoff [role="status"]');

async function botSays(text: RegExp, p: Page = page): Promise<void> {
  await p.locator('.tandem-bot', { hasText: text }).last().waitFor({ timeout: STEP_MS });
}

/** What has the focus: its text (without the hidden hints) and its focus ring. */
function focused(p: Page = page) {
  return p.evaluate(() => {
    const el = document.activeElement as HTMLElement;
    const s = getComputedStyle(el);
    return {
      tag: el.tagName.toLowerCase(),
      text: el.firstChild?.textContent ?? '',
      label: el.getAttribute('aria-label'),
      outline: s.outlineStyle,
      width: Number.parseFloat(s.outlineWidth),
    };
  });
}

async function axeViolations(p: Page = page): Promise<string[]> {
  await p.addScriptTag({ path: AXE });
  const result = await p.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(): Promise<{ violations: unknown[] }> } }).axe;
    return (await axe.run()).violations as Array<{ id: string; impact: string; nodes: unknown[] }>;
  });
  return result
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id} (${v.nodes.length})`);
}

/**
 * The widget tells the bot of a new conversation (a webchat/join event), and that first turn makes
 * the person known: the hub then gives links. Holding that event back (answered here, never sent
 * on) leaves a conversation where the person has said nothing yet, as in the first moments.
 */
async function holdJoin(route: Route): Promise<void> {
  const req = route.request();
  const body = req.method() === 'POST' ? (req.postDataJSON() as { name?: string } | null) : null;
  if (body?.name === 'webchat/join') {
    await route.fulfill({ status: 200, contentType: 'application/json', body: '{"id":"held"}' });
  } else {
    await route.continue();
  }
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is missing at ${CHROMIUM}: the widget's browser tests need it.`);
  }
  fake = await startFakeTelegram();
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  app = await startTestApp({
    ...telegramEnv(fake),
    PORT: String(port),
    PUBLIC_URL: origin,
    WEBCHAT_ORIGINS: origin,
  });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
  // bypassCSP: only for axe-core, injected by the test.
  const context = await browser.newContext({
    viewport: { width: 1100, height: 900 },
    locale: 'fr-FR',
    reducedMotion: 'reduce',
    bypassCSP: true,
  });
  page = await context.newPage();
  page.on('pageerror', (err) => pageErrors.push(String(err)));
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await fake?.close();
});

describe('"Continuer sur Telegram" in the web chat widget', () => {
  it('asks to write a first message when nothing was said yet (keyboard)', async () => {
    await page.route(ACTIVITIES, holdJoin);
    await page.goto(`${app.url}/`);
    await page.getByRole('button', { name: 'Discuter avec Tandem' }).click();
    await handoffButton().waitFor({ timeout: STEP_MS });
    // Right after the message log in the tab order, with a visible focus ring.
    await page.getByRole('log').focus();
    await page.keyboard.press('Tab');
    const focus = await focused();
    expect(focus).toMatchObject({ tag: 'button', text: 'Continuer sur Telegram', outline: 'solid' });
    expect(focus.width).toBeGreaterThanOrEqual(2);
    await page.keyboard.press('Enter');
    await expect
      .poll(() => note().textContent(), { timeout: STEP_MS })
      .toBe("Écrivez-moi d'abord un premier message ici, puis réessayez.");
    // The button stays, with the focus, to try again.
    expect((await focused()).text).toBe('Continuer sur Telegram');
    expect(await page.locator('.tandem-handoff a').count()).toBe(0);
    await page.unroute(ACTIVITIES, holdJoin);
  }, 30_000);

  it('gives a one-time Telegram link once the person has written, with the current token', async () => {
    await page.getByRole('textbox', { name: 'Votre message' }).focus();
    await page.keyboard.type('Bonjour');
    await page.keyboard.press('Enter');
    await botSays(/Acceptez-vous que nous traitions vos données/);

    const asked = page.waitForRequest((r) => r.url().endsWith('/webchat/handoff/telegram'));
    await handoffButton().click();
    const link = page.getByRole('link', { name: /^Ouvrir Telegram/ });
    await link.waitFor({ timeout: STEP_MS });
    const { token } = await page.evaluate(() => JSON.parse(localStorage.getItem('tandem.webchat') ?? '{}'));
    expect((await asked).headers().authorization).toBe(`Bearer ${token}`);

    expect(await link.getAttribute('href')).toMatch(LINK);
    expect(await link.getAttribute('target')).toBe('_blank');
    expect((await link.getAttribute('rel'))?.split(' ')).toContain('noopener');
    // The link replaces the button and takes the focus; the note is said politely and describes it.
    expect(await handoffButton().count()).toBe(0);
    const focus = await focused();
    expect(focus).toMatchObject({ tag: 'a', text: 'Ouvrir Telegram' });
    expect(await note().textContent()).toBe(NOTE);
    expect(await note().isVisible()).toBe(true);
    expect(await link.getAttribute('aria-describedby')).toBe(await note().getAttribute('id'));
    expect(await page.getByRole('status').filter({ hasText: NOTE }).count()).toBe(1);

    expect(await axeViolations()).toEqual([]);
    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    await page.locator('.tandem-panel').screenshot({ path: SCREENSHOT });

    // Keyboard: Tab from the link goes on to the text field.
    await page.keyboard.press('Tab');
    expect((await focused()).label).toBe('Votre message');
  }, 30_000);

  it('says kindly when the link could not be made, and offers it again after a reload', async () => {
    await page.reload();
    await botSays(/Acceptez-vous que nous traitions vos données/);
    // The resumed conversation keeps its channels: the button is back, the old link gone.
    await handoffButton().waitFor({ timeout: STEP_MS });
    expect(await page.locator('.tandem-handoff a').count()).toBe(0);
    const unavailable = (route: Route) =>
      route.fulfill({
        status: 503,
        contentType: 'application/json',
        body: '{"error":{"code":"Unavailable"}}',
      });
    await page.route('**/webchat/handoff/telegram', unavailable);
    await handoffButton().click();
    await expect
      .poll(() => note().textContent(), { timeout: STEP_MS })
      .toBe("Le lien n'a pas pu être créé. Réessayez dans un instant.");
    await page.unroute('**/webchat/handoff/telegram', unavailable);

    // Tried again: the real link this time.
    await handoffButton().click();
    const link = page.getByRole('link', { name: /^Ouvrir Telegram/ });
    await link.waitFor({ timeout: STEP_MS });
    expect(await link.getAttribute('href')).toMatch(LINK);
    expect(await note().textContent()).toBe(NOTE);
    expect(pageErrors).toEqual([]);
  }, 30_000);

  it('takes the link back when it expires: the button returns, with the focus', async () => {
    const context = await browser.newContext({ locale: 'fr-FR', reducedMotion: 'reduce' });
    try {
      const p = await context.newPage();
      await p.clock.install();
      await p.goto(`${app.url}/`);
      await p.getByRole('button', { name: 'Discuter avec Tandem' }).click();
      await p.keyboard.type('Bonjour');
      await p.keyboard.press('Enter');
      await botSays(/Acceptez-vous que nous traitions vos données/, p);
      await handoffButton(p).click();
      const link = p.getByRole('link', { name: /^Ouvrir Telegram/ });
      await link.waitFor({ timeout: STEP_MS });
      expect((await focused(p)).tag).toBe('a');
      await p.clock.runFor('14:50');
      expect(await link.count()).toBe(1);
      await p.clock.runFor('00:11');
      expect(await link.count()).toBe(0);
      expect(await note(p).textContent()).toBe('');
      expect((await focused(p)).text).toBe('Continuer sur Telegram');
    } finally {
      await context.close();
    }
  }, 30_000);
});
