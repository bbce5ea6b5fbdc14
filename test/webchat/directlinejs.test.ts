import type { Activity } from 'botframework-directlinejs';
import { beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import XHR from 'xhr2';
import type { App } from '../../bot/app.js';
import { startTestApp, TEST_SECRET } from '../helpers/app.js';

// botframework-directlinejs uses rxjs ajax (XMLHttpRequest) and a global WebSocket: give Node both.
const g = globalThis as Record<string, unknown>;
g.XMLHttpRequest ??= XHR;
g.WebSocket ??= WebSocket;
const { DirectLine } = await import('botframework-directlinejs');

let app: App;

beforeAll(async () => {
  app = await startTestApp();
});

async function token(): Promise<{ token: string; conversationId: string }> {
  const res = await fetch(`${app.url}/v3/directline/tokens/generate`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${TEST_SECRET}` },
  });
  return res.json() as Promise<{ token: string; conversationId: string }>;
}

/** Collects the bot's activities as the official client receives them. */
function collect(client: InstanceType<typeof DirectLine>) {
  const seen: Activity[] = [];
  const sub = client.activity$.subscribe((a) => {
    if (a.from.id === 'tandem') seen.push(a);
  });
  const waitFor = async (pred: (a: Activity) => boolean, timeoutMs = 10_000) => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const found = seen.find(pred);
      if (found) return found;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`no bot activity matched; saw ${JSON.stringify(seen.map((a) => 'text' in a && a.text))}`);
  };
  return { seen, waitFor, stop: () => sub.unsubscribe() };
}

const post = (client: InstanceType<typeof DirectLine>, activity: Record<string, unknown>) =>
  new Promise<string>((resolve, reject) =>
    client
      .postActivity({ type: 'message', from: { id: 'ignored' }, ...activity } as Activity)
      .subscribe({ next: resolve, error: reject }),
  );

describe.each([
  ['WebSocket', true],
  ['polling', false],
])('the official Direct Line client (%s)', (_mode, webSocket) => {
  it('goes through the first onboarding steps, buttons and typing', async () => {
    const { token: t } = await token();
    const client = new DirectLine({
      token: t,
      domain: `${app.url}/v3/directline`,
      webSocket,
      pollingInterval: 200,
    });
    const bot = collect(client);
    try {
      await post(client, { text: 'Bonjour' });
      const consent = await bot.waitFor((a) => 'text' in a && /Acceptez-vous/.test(a.text ?? ''));
      const accept = consent.type === 'message' ? consent.suggestedActions?.actions?.[0] : undefined;
      expect(accept?.title).toBe("J'accepte");
      await post(client, { text: accept?.title, value: accept?.value });
      await bot.waitFor((a) => 'text' in a && /Quelle est votre tranche d'âge/.test(a.text ?? ''));
      await post(client, { text: '26-35' });
      await bot.waitFor((a) => 'text' in a && /Comment vous appelez-vous/.test(a.text ?? ''));
      const texts = bot.seen.map((a) => ('text' in a ? a.text : ''));
      expect(new Set(texts).size).toBe(texts.length);
    } finally {
      bot.stop();
      client.end();
    }
  });
});

describe('reconnecting with the watermark', () => {
  it('gets only what was missed, without losing or repeating a message', async () => {
    const { token: t, conversationId } = await token();
    const first = new DirectLine({ token: t, domain: `${app.url}/v3/directline`, webSocket: true });
    const a = collect(first);
    await post(first, { text: 'Bonjour' });
    await a.waitFor((x) => 'text' in x && /Acceptez-vous/.test(x.text ?? ''));
    const watermark = (first as unknown as { watermark: string }).watermark;
    a.stop();
    first.end();

    // While disconnected, the conversation goes on through the HTTP API.
    await fetch(`${app.url}/v3/directline/conversations/${conversationId}/activities`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${t}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ type: 'message', text: 'oui' }),
    });
    const second = new DirectLine({
      token: t,
      conversationId,
      watermark,
      domain: `${app.url}/v3/directline`,
      webSocket: true,
    });
    const b = collect(second);
    try {
      await b.waitFor((x) => 'text' in x && /Quelle est votre tranche d'âge/.test(x.text ?? ''));
      const texts = b.seen.map((x) => ('text' in x ? x.text : ''));
      expect(texts.some((x) => /Acceptez-vous/.test(x ?? ''))).toBe(false);
      expect(texts.filter((x) => /Quelle est votre tranche d'âge/.test(x ?? ''))).toHaveLength(1);
    } finally {
      b.stop();
      second.end();
    }
  });
});
