import { existsSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { App } from '../../bot/app.js';
import { freePort } from '../../bot/db/ferretdb.js';
import { standaloneCard } from '../../bot/engine/reply.js';
import { startTestApp } from '../helpers/app.js';
import { pollUntil } from '../helpers/poll.js';

const CHROMIUM = '/usr/bin/chromium';
const STEP_MS = 10_000;

let app: App;
let browser: Browser;
let page: Page;

const PROPOSAL = standaloneCard(
  {
    title: 'Camille, cheffe de projet numérique',
    text: 'Elle relit des CV et prépare aux entretiens.',
    buttons: [
      { title: "Ça m'intéresse", value: 'yes' },
      { title: 'Plus tard', value: 'later' },
    ],
  },
  'proposal:p1',
);

/** A button of the log by its title (a chosen one's name also says so). */
const button = (title: string) => page.locator('button.tandem-action', { hasText: title }).last();
const enabled = (names: string[]) => Promise.all(names.map((n) => button(n).isEnabled()));
const botSays = (text: RegExp) =>
  page.locator('.tandem-bot', { hasText: text }).last().waitFor({ timeout: STEP_MS });

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium is missing at ${CHROMIUM}`);
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  app = await startTestApp({ PORT: String(port), PUBLIC_URL: origin, WEBCHAT_ORIGINS: origin });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  const context = await browser.newContext({ locale: 'fr-FR', reducedMotion: 'reduce' });
  page = await context.newPage();
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

describe('the web chat widget and a standalone card', () => {
  it("keeps the card's buttons while the conversation goes on, until one of them is pressed", async () => {
    await page.goto(`${app.url}/`);
    await page.getByRole('button', { name: 'Discuter avec Tandem' }).click();
    await botSays(/Acceptez-vous que nous traitions vos données/);
    const session = await page.evaluate(() => JSON.parse(localStorage.getItem('tandem.webchat') ?? '{}'));
    const ref = {
      conversation: { id: session.conversationId, isGroup: false, conversationType: 'personal', name: '' },
      user: { id: session.userId, name: '' },
    };
    await app.bot.adapter.channel('webchat').send(ref, [PROPOSAL]);
    await button('Plus tard').waitFor({ timeout: STEP_MS });

    // A press on the question, then a typed answer: the questions' buttons go, the card's stay.
    await button("J'accepte").click();
    await botSays(/Quelle est votre tranche d'âge/);
    await page.getByRole('textbox', { name: 'Votre message' }).fill('26 à 35 ans');
    await page.keyboard.press('Enter');
    await botSays(/Comment vous appelez-vous/);
    expect(await enabled(["J'accepte", '26 à 35 ans'])).toEqual([false, false]);
    expect(await enabled(["Ça m'intéresse", 'Plus tard'])).toEqual([true, true]);

    const turns = vi.spyOn(app.bot.engine, 'process');
    try {
      await button("Ça m'intéresse").click();
      await pollUntil(
        async () => turns.mock.calls.length > 0,
        STEP_MS,
        () => new Error('no turn'),
      );
      expect(turns.mock.calls.map(([a]) => a.value)).toEqual([{ q: 'proposal:p1', v: 'yes' }]);
    } finally {
      turns.mockRestore();
    }
    expect(await enabled(["Ça m'intéresse", 'Plus tard'])).toEqual([false, false]);
    expect(await button("Ça m'intéresse").getAttribute('class')).toContain('tandem-chosen');

    // Reloaded, the history shows the card answered by its own press, and only that card.
    await page.reload();
    await button('Plus tard').waitFor({ timeout: STEP_MS });
    await page.locator('.tandem-user', { hasText: "Ça m'intéresse" }).waitFor({ timeout: STEP_MS });
    expect(await enabled(["Ça m'intéresse", 'Plus tard'])).toEqual([false, false]);
  }, 30_000);
});
