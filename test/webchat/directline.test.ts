import http from 'node:http';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { App } from '../../bot/app.js';
import { TokenSigner } from '../../channels/webchat/tokens.js';
import { startTestApp, TEST_SECRET, TEST_SIGNING_KEY } from '../helpers/app.js';
import { pollUntil } from '../helpers/poll.js';

let app: App;
let dl: string;

beforeAll(async () => {
  app = await startTestApp();
  dl = `${app.url}/v3/directline`;
});

async function call(
  method: string,
  path: string,
  auth?: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const res = await fetch(`${dl}${path}`, {
    method,
    headers: {
      ...(auth ? { Authorization: `Bearer ${auth}` } : {}),
      ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** Polls the transcript until the bot has answered after `watermark`. */
async function botReplies(conversationId: string, token: string, watermark: string, min = 1) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const r = await call('GET', `/conversations/${conversationId}/activities?watermark=${watermark}`, token);
    const fromBot = r.body.activities.filter((a: { from: { id: string } }) => a.from.id === 'tandem');
    if (fromBot.length >= min || Date.now() > deadline) return { ...r.body, fromBot };
    await new Promise((res) => setTimeout(res, 50));
  }
}

describe('Direct Line 3.0 endpoint', () => {
  it('keeps idle keep-alive connections 65 s and says so, so a client never reuses a closed one', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const get = () =>
      new Promise<http.IncomingMessage & { reused: boolean }>((resolve, reject) => {
        const req = http.get(`${app.url}/healthz`, { agent }, (res) => {
          res.resume();
          res.on('end', () => resolve(Object.assign(res, { reused: req.reusedSocket })));
        });
        req.on('error', reject);
      });
    const first = await get();
    expect(first.headers['keep-alive']).toBe('timeout=65');
    expect((await get()).reused).toBe(true);
    agent.destroy();
  });

  it('generates a token with the secret and refuses a wrong secret', async () => {
    const ok = await call('POST', '/tokens/generate', TEST_SECRET, { user: { id: 'dl_alice' } });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({
      conversationId: expect.any(String),
      token: expect.any(String),
      expires_in: 1800,
    });
    const bad = await call('POST', '/tokens/generate', 'not-the-secret');
    expect(bad.status).toBe(403);
    const none = await call('POST', '/tokens/generate');
    expect(none.status).toBe(403);
  });

  it('starts a conversation, takes a message and returns the bot reply after the watermark', async () => {
    const { body: gen } = await call('POST', '/tokens/generate', TEST_SECRET);
    const start = await call('POST', '/conversations', gen.token);
    expect(start.status).toBe(201);
    expect(start.body.conversationId).toBe(gen.conversationId);
    expect(start.body.streamUrl).toMatch(
      /^ws:\/\/127\.0\.0\.1:\d+\/v3\/directline\/conversations\/.+\/stream\?t=/,
    );

    const post = await call('POST', `/conversations/${gen.conversationId}/activities`, gen.token, {
      type: 'message',
      from: { id: 'someone-else', name: 'Léa', role: 'bot' },
      text: 'Bonjour',
    });
    expect(post.status).toBe(200);
    expect(post.body.id).toMatch(/\|0000001$/);

    const first = await botReplies(gen.conversationId, gen.token, '0', 2);
    expect(first.activities[0].text).toBe('Bonjour');
    expect(first.activities[0].from.id).not.toBe('someone-else');
    // Direct Line's roles, which clients such as Web Chat use to tell the sides apart.
    expect(first.activities[0].from.role).toBe('user');
    expect(first.fromBot[0].from.role).toBe('bot');
    expect(first.fromBot[0].text).toMatch(/bienvenue sur Tandem/);
    const consent = first.fromBot.at(-1);
    expect(consent.suggestedActions.actions.map((a: { title: string }) => a.title)).toEqual([
      "J'accepte",
      'Je refuse',
    ]);

    // Nothing new after the last watermark; a button press moves on.
    const again = await call(
      'GET',
      `/conversations/${gen.conversationId}/activities?watermark=${first.watermark}`,
      gen.token,
    );
    expect(again.body.activities).toEqual([]);
    const accept = consent.suggestedActions.actions[0];
    await call('POST', `/conversations/${gen.conversationId}/activities`, gen.token, {
      type: 'message',
      text: accept.title,
      value: accept.value,
    });
    const next = await botReplies(gen.conversationId, gen.token, first.watermark);
    expect(next.fromBot[0].text).toMatch(/Quelle est votre tranche d'âge/);
  });

  it('answers a post retried with the same clientActivityID once, replying to the first copy', async () => {
    const { body: gen } = await call('POST', '/tokens/generate', TEST_SECRET);
    await call('POST', '/conversations', gen.token);
    const message = { type: 'message', text: 'Bonjour', channelData: { clientActivityID: 'retry-1' } };
    const first = await call('POST', `/conversations/${gen.conversationId}/activities`, gen.token, message);
    const replies = await botReplies(gen.conversationId, gen.token, '0', 2);
    // The client did not see the answer to its post and sends the same message again.
    await call('POST', `/conversations/${gen.conversationId}/activities`, gen.token, message);
    const welcome = replies.fromBot.length;
    expect(replies.fromBot.every((a: { replyToId: string }) => a.replyToId === first.body.id)).toBe(true);
    await new Promise((res) => setTimeout(res, 500));
    const after = await botReplies(gen.conversationId, gen.token, '0', welcome);
    expect(after.fromBot).toHaveLength(welcome);
  });

  it("streams a conversation's replies to each of its sockets (two tabs), and to no other conversation's", async () => {
    type Set = { activities: Array<{ type: string; text?: string; from: { id: string } }> };
    const open = async (streamUrl: string) => {
      const ws = new WebSocket(streamUrl, { headers: { Origin: 'http://localhost:3978' } });
      const sets: Set[] = [];
      ws.on('message', (data) => {
        if (data.toString()) sets.push(JSON.parse(data.toString()));
      });
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      const fromBot = () => sets.flatMap((s) => s.activities).filter((a) => a.from.id === 'tandem');
      return { ws, fromBot };
    };
    const { body: a } = await call('POST', '/tokens/generate', TEST_SECRET);
    const { body: b } = await call('POST', '/tokens/generate', TEST_SECRET);
    const startA = await call('POST', '/conversations', a.token);
    const startB = await call('POST', '/conversations', b.token);
    const [tab1, tab2, other] = await Promise.all([
      open(startA.body.streamUrl),
      open(startA.body.streamUrl),
      open(startB.body.streamUrl),
    ]);
    try {
      await call('POST', `/conversations/${a.conversationId}/activities`, a.token, {
        type: 'message',
        text: 'Bonjour',
      });
      await pollUntil(
        () => tab1.fromBot().length > 0 && tab2.fromBot().length > 0,
        5_000, // pushed at once; another process's appends would come by polling after 10 s
        () => new Error('a tab got no reply'),
        20,
      );
      expect(tab2.fromBot().map((x) => x.text)).toEqual(tab1.fromBot().map((x) => x.text));
      await new Promise((r) => setTimeout(r, 200));
      expect(other.fromBot()).toEqual([]);
    } finally {
      for (const s of [tab1, tab2, other]) s.ws.close();
    }
  });

  it('shows "typing" on the stream while a turn takes over a second, without storing it', async () => {
    const { body: gen } = await call('POST', '/tokens/generate', TEST_SECRET);
    const start = await call('POST', '/conversations', gen.token);
    const ws = new WebSocket(start.body.streamUrl, { headers: { Origin: 'http://localhost:3978' } });
    const sets: Array<{ activities: Array<{ type: string; from: { id: string } }>; watermark: string }> = [];
    ws.on('message', (data) => {
      if (data.toString()) sets.push(JSON.parse(data.toString()));
    });
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const engine = app.bot.engine;
    const process = engine.process.bind(engine);
    const typed = () => sets.flatMap((s) => s.activities).filter((a) => a.type === 'typing');
    try {
      const say = async (text: string) => {
        await call('POST', `/conversations/${gen.conversationId}/activities`, gen.token, {
          type: 'message',
          text,
        });
        await pollUntil(
          () => sets.some((s) => s.activities.some((a) => a.type === 'message' && a.from.id === 'tandem')),
          10_000,
          () => new Error(JSON.stringify(sets)),
          20,
        );
      };
      await say('Bonjour');
      expect(typed()).toEqual([]);
      sets.length = 0;
      engine.process = async (activity, opts) => {
        await new Promise((r) => setTimeout(r, 1500));
        return process(activity, opts);
      };
      await say('oui');
      expect(typed()).toHaveLength(1);
      expect(typed()[0]?.from.id).toBe('tandem');
      // The transcript keeps the messages only.
      const all = await call('GET', `/conversations/${gen.conversationId}/activities?watermark=0`, gen.token);
      expect(all.body.activities.map((a: { type: string }) => a.type)).not.toContain('typing');
    } finally {
      engine.process = process;
      ws.close();
    }
  });

  it('refuses a token for another conversation, an expired or forged token and a foreign origin', async () => {
    const a = (await call('POST', '/tokens/generate', TEST_SECRET)).body;
    const b = (await call('POST', '/tokens/generate', TEST_SECRET)).body;
    expect((await call('GET', `/conversations/${b.conversationId}/activities`, a.token)).status).toBe(403);
    expect(
      (
        await call('POST', `/conversations/${b.conversationId}/activities`, a.token, {
          type: 'message',
          text: 'x',
        })
      ).status,
    ).toBe(403);
    const forged = `${a.token.split('.')[0]}.${'A'.repeat(43)}`;
    expect((await call('GET', `/conversations/${a.conversationId}/activities`, forged)).status).toBe(403);
    const foreign = await call('GET', `/conversations/${a.conversationId}/activities`, a.token, undefined, {
      Origin: 'https://evil.example',
    });
    expect(foreign.status).toBe(403);
    const allowed = await call('GET', `/conversations/${a.conversationId}/activities`, a.token, undefined, {
      Origin: 'http://localhost:3978',
    });
    expect(allowed.status).toBe(200);
  });

  it('refreshes a token and reconnects to a conversation with its watermark', async () => {
    const gen = (await call('POST', '/tokens/generate', TEST_SECRET)).body;
    const refreshed = await call('POST', '/tokens/refresh', gen.token);
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.conversationId).toBe(gen.conversationId);
    const reconnect = await call(
      'GET',
      `/conversations/${gen.conversationId}?watermark=3`,
      refreshed.body.token,
    );
    expect(reconnect.status).toBe(200);
    expect(reconnect.body.streamUrl).toContain('watermark=3');
  });

  it('takes an upload as Web Chat sends it: the files dropped, the message echoed and answered', async () => {
    const gen = (await call('POST', '/tokens/generate', TEST_SECRET)).body;
    await call('POST', `/conversations/${gen.conversationId}/activities`, gen.token, {
      type: 'message',
      text: 'Bonjour',
    });
    await botReplies(gen.conversationId, gen.token, '1');
    // botframework-directlinejs' postMessageWithAttachments: the activity, then one part per file.
    const upload = (token: string, form: FormData) =>
      fetch(`${dl}/conversations/${gen.conversationId}/upload?userId=someone`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}` },
        body: form,
      });
    const form = new FormData();
    const activity = { type: 'message', from: { id: 'someone' }, channelData: { clientActivityID: 'up-1' } };
    form.append(
      'activity',
      new Blob([JSON.stringify(activity)], { type: 'application/vnd.microsoft.activity' }),
    );
    form.append('file', new Blob([new Uint8Array(2048)], { type: 'image/png' }), 'cv.png');
    const res = await upload(gen.token, form);
    expect(res.status).toBe(200);
    const { id } = (await res.json()) as { id: string };
    const after = await botReplies(gen.conversationId, gen.token, '2');
    const echoed = after.activities.find((a: { id: string }) => a.id === id);
    expect(echoed).toMatchObject({
      from: { role: 'user' },
      attachments: [{ contentType: 'image/png', name: 'cv.png' }],
      channelData: { clientActivityID: 'up-1' },
    });
    expect(JSON.stringify(echoed)).not.toMatch(/contentUrl|content"/);
    // The person is told, in French, and asked the consent again (the question they were at).
    const said = after.fromBot.map((a: { text?: string }) => a.text).join('\n');
    expect(said).toMatch(/Je ne comprends que le texte/);
    expect(said).toMatch(/Acceptez-vous que nous traitions vos données/);

    const big = new FormData();
    big.append('activity', new Blob([JSON.stringify(activity)]));
    big.append('file', new Blob([new Uint8Array(5 * 1024 * 1024)]), 'big.bin');
    expect((await upload(gen.token, big)).status).toBe(413);
    const other = (await call('POST', '/tokens/generate', TEST_SECRET)).body;
    expect((await upload(other.token, form)).status).toBe(403);
    const notMultipart = await call('POST', `/conversations/${gen.conversationId}/upload`, gen.token, {
      type: 'x',
    });
    expect(notMultipart.status).toBe(400);
  });

  it('says how long the token a client already holds has left, and a new one its whole time', async () => {
    const gen = (await call('POST', '/tokens/generate', TEST_SECRET)).body;
    await sleep(1100);
    const reconnect = await call('GET', `/conversations/${gen.conversationId}`, gen.token);
    const start = await call('POST', '/conversations', gen.token);
    for (const r of [reconnect, start]) {
      expect(r.body.token).toBe(gen.token);
      expect(r.body.expires_in).toBeGreaterThan(0);
      expect(r.body.expires_in).toBeLessThan(gen.expires_in);
    }
    const refreshed = await call('POST', '/tokens/refresh', gen.token);
    expect(refreshed.body.expires_in).toBe(gen.expires_in);
  });

  it("lets a page of an allowed origin read the answers (CORS), another origin's page not", async () => {
    const listed = 'http://localhost:3978';
    const preflight = (origin: string) =>
      fetch(`${dl}/conversations`, {
        method: 'OPTIONS',
        headers: {
          Origin: origin,
          'Access-Control-Request-Method': 'POST',
          'Access-Control-Request-Headers': 'authorization,content-type,x-ms-bot-agent',
        },
      });
    const ok = await preflight(listed);
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe(listed);
    expect(ok.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
    // What botframework-directlinejs sends with every call.
    expect(ok.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('x-ms-bot-agent');
    expect(ok.headers.get('access-control-allow-methods')).toMatch(/POST/);
    const refused = await preflight('https://evil.example');
    expect(refused.status).toBe(403);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();

    // Another site of the hub, listed: the browser says "cross-site", and that is fine.
    const token = await fetch(`${app.url}/webchat/token`, {
      method: 'POST',
      headers: { Origin: listed, 'Sec-Fetch-Site': 'cross-site' },
    });
    expect(token.status).toBe(200);
    expect(token.headers.get('access-control-allow-origin')).toBe(listed);
    const { conversationId, token: t } = await token.json();
    const read = await call('GET', `/conversations/${conversationId}/activities`, t, undefined, {
      Origin: listed,
    });
    expect(read.status).toBe(200);
    const unlisted = await fetch(`${app.url}/webchat/token`, {
      method: 'POST',
      headers: { 'Sec-Fetch-Site': 'cross-site' },
    });
    expect(unlisted.status).toBe(403);
  });

  it('refuses an activity whose value or attachments are too large, and stores nothing of it', async () => {
    const gen = (await call('POST', '/tokens/generate', TEST_SECRET)).body;
    const path = `/conversations/${gen.conversationId}/activities`;
    const big = await call('POST', path, gen.token, {
      type: 'message',
      text: 'x',
      value: { v: 'x'.repeat(9000) },
    });
    expect(big.status).toBe(400);
    expect(big.body.error.code).toBe('BadArgument');
    const many = Array.from({ length: 50 }, () => ({
      contentType: 'image/png',
      contentUrl: 'https://e.x/'.padEnd(200, 'y'),
    }));
    expect((await call('POST', path, gen.token, { type: 'message', attachments: many })).status).toBe(400);
    expect((await call('GET', `${path}?watermark=0`, gen.token)).body.activities).toEqual([]);
    // A button's value is far below.
    expect(
      (
        await call('POST', path, gen.token, {
          type: 'message',
          text: 'Oui',
          value: { q: 'consent', v: 'yes' },
        })
      ).status,
    ).toBe(200);
  });

  it('opens at most 8 sockets per conversation', async () => {
    const gen = (await call('POST', '/tokens/generate', TEST_SECRET)).body;
    const { streamUrl } = (await call('POST', '/conversations', gen.token)).body;
    const open = () =>
      new Promise<WebSocket>((resolve, reject) => {
        const ws = new WebSocket(streamUrl);
        ws.once('open', () => resolve(ws)).once('unexpected-response', (_req, res) =>
          reject(new Error(String(res.statusCode))),
        );
      });
    const sockets = await Promise.all(Array.from({ length: 8 }, open));
    try {
      await expect(open()).rejects.toThrow('429');
      // One closes: another may open.
      const closed = new Promise((resolve) => sockets[0]?.once('close', resolve));
      sockets[0]?.close();
      await closed;
      await new Promise((r) => setTimeout(r, 100));
      sockets[0] = await open();
    } finally {
      for (const ws of sockets) ws.close();
    }
  });

  it('refuses a malformed or unknown WebSocket upgrade without stopping, and a frame the stream does not take', async () => {
    const upgrade = (path: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = net.connect(Number(new URL(app.url).port), '127.0.0.1', () => {
          socket.write(
            `GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
              'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
          );
        });
        let got = '';
        socket.on('data', (d) => {
          got += d.toString();
        });
        socket.on('close', () => resolve(got.split('\r\n')[0] ?? ''));
        socket.on('error', reject);
        socket.setTimeout(5000, () => {
          socket.destroy();
          resolve(`no answer: ${got}`);
        });
      });
    expect(await upgrade('/v3/directline/conversations/%ZZ/stream?t=x')).toBe('HTTP/1.1 404 Not Found');
    expect(await upgrade('/somewhere/else')).toBe('HTTP/1.1 404 Not Found');
    expect(await upgrade('//[')).toBe('HTTP/1.1 404 Not Found');
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);

    const gen = (await call('POST', '/tokens/generate', TEST_SECRET)).body;
    const { streamUrl } = (await call('POST', '/conversations', gen.token)).body;
    const ws = new WebSocket(streamUrl);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const closed = new Promise<number>((resolve) => ws.once('close', resolve));
    ws.send('x'.repeat(10_000));
    expect(await closed).toBe(1009);
  });

  it('gives the widget back its conversation with a token expired since and its key, within WEBCHAT_RESUME_DAYS', async () => {
    const ask = (body?: unknown) =>
      fetch(`${app.url}/webchat/token`, {
        method: 'POST',
        headers: { Origin: 'http://localhost:3978', 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const first = await (await ask()).json();
    // The same conversation's token, signed as the app signs, expired an hour ago / 31 days ago.
    const signedAt = (msAgo: number) =>
      new TokenSigner(TEST_SIGNING_KEY, 60, () => Date.now() - msAgo).issue(
        first.conversationId,
        first.userId,
      );
    expect(
      (await call('GET', `/conversations/${first.conversationId}/activities`, signedAt(3_600_000))).status,
    ).toBe(403);

    // The token alone (it travels in stream URLs, so in logs), or with another key: no.
    expect(first.resumeKey).toMatch(/^[\w-]{32}$/);
    expect((await ask({ resume: signedAt(3_600_000) })).status).toBe(409);
    expect((await ask({ resume: signedAt(3_600_000), key: 'x'.repeat(32) })).status).toBe(409);
    const other = await (await ask()).json();
    expect((await ask({ resume: signedAt(3_600_000), key: other.resumeKey })).status).toBe(409);

    const back = await ask({ resume: signedAt(3_600_000), key: first.resumeKey });
    expect(back.status).toBe(200);
    const resumed = await back.json();
    expect(resumed).toMatchObject({ conversationId: first.conversationId, userId: first.userId });
    // The key stays the same: another tab of the same page still holds it.
    expect(resumed.resumeKey).toBeUndefined();
    expect(
      (await call('GET', `/conversations/${first.conversationId}/activities`, resumed.token)).status,
    ).toBe(200);

    expect((await ask({ resume: signedAt(31 * 86_400_000), key: first.resumeKey })).status).toBe(409);
    const forged = `${first.token.split('.')[0]}.${'A'.repeat(43)}`;
    expect((await ask({ resume: forged, key: first.resumeKey })).status).toBe(409);
  });

  it('takes at most 30 posts in 10 s per conversation, and another conversation still', async () => {
    const flooded = (await call('POST', '/tokens/generate', TEST_SECRET)).body;
    const post = (conv: { conversationId: string; token: string }, i: number) =>
      call('POST', `/conversations/${conv.conversationId}/activities`, conv.token, {
        type: 'message',
        text: `message ${i}`,
      });
    const statuses: number[] = [];
    for (let i = 0; i < 32; i++) statuses.push((await post(flooded, i)).status);
    expect(statuses.slice(0, 30).every((s) => s === 200)).toBe(true);
    expect(statuses.slice(30)).toEqual([429, 429]);
    const other = (await call('POST', '/tokens/generate', TEST_SECRET)).body;
    expect((await post(other, 0)).status).toBe(200);
  });

  it("keeps a start event's campaign when it is a short tag, as a link's, and not otherwise", async () => {
    const campaignOf = async (campaign: string) => {
      const userId = `dl_campaign_${campaign.length}_${campaign.charCodeAt(0)}`;
      const gen = (await call('POST', '/tokens/generate', TEST_SECRET, { user: { id: userId } })).body;
      await call('POST', `/conversations/${gen.conversationId}/activities`, gen.token, {
        type: 'event',
        name: 'start',
        value: { campaign },
      });
      // The welcome comes once the turn, its `arrive` step included, is done.
      expect((await botReplies(gen.conversationId, gen.token, '0')).fromBot.length).toBeGreaterThan(0);
      return (await app.bot.services.people.lookup('webchat', userId)).person?.campaign;
    };
    expect(await campaignOf('printemps-2026')).toBe('printemps-2026');
    expect(await campaignOf('x'.repeat(500))).toBeUndefined();
    expect(await campaignOf('<b>hi</b>')).toBeUndefined();
  });

  // Last: it uses up this address's tokens for the minute.
  it('gives the widget a token from the same origin only, and rate-limits it', async () => {
    const ok = await fetch(`${app.url}/webchat/token`, {
      method: 'POST',
      headers: { Origin: 'http://localhost:3978' },
    });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ token: expect.any(String), conversationId: expect.any(String) });
    const cross = await fetch(`${app.url}/webchat/token`, {
      method: 'POST',
      headers: { Origin: 'https://evil.example' },
    });
    expect(cross.status).toBe(403);
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++)
      statuses.push((await fetch(`${app.url}/webchat/token`, { method: 'POST' })).status);
    expect(statuses).toContain(429);
  });
});
