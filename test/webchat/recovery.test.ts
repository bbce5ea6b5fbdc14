import type { Activity } from 'botbuilder';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { App } from '../../bot/app.js';
import { Database } from '../../bot/db/database.js';
import { mark } from '../../models/inbound-mark.js';
import { startTestApp, TEST_SECRET } from '../helpers/app.js';
import { freshDbUri, silentLog } from '../helpers/db.js';
import { pollUntil } from '../helpers/poll.js';

// Two processes on one database: `a` takes the messages, `b` is where a client reconnects.
let a: App;
let b: App;
const uri = freshDbUri('recovery');

beforeAll(async () => {
  a = await startTestApp({}, { dbUri: uri });
  b = await startTestApp({}, { dbUri: uri });
});

afterAll(async () => {
  const db = await Database.connect(uri, silentLog);
  await db.connection.dropDatabase().catch(() => {});
  await db.close();
});

type Stored = Partial<Activity> & { id: string; from: { id: string; role?: string } };

async function call(app: App, method: string, path: string, token: string, body?: unknown) {
  const res = await fetch(`${app.url}/v3/directline${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return text ? JSON.parse(text) : undefined;
}

async function newConversation(app: App) {
  const gen = await call(app, 'POST', '/tokens/generate', TEST_SECRET, {});
  const started = await call(app, 'POST', '/conversations', gen.token);
  return {
    id: gen.conversationId as string,
    token: gen.token as string,
    streamUrl: started.streamUrl as string,
  };
}

/** The whole transcript, and its last watermark. */
async function read(app: App, conversationId: string) {
  const all: Stored[] = [];
  for (let watermark = 0; ; ) {
    const set = await app.webchat.store.after(conversationId, watermark);
    all.push(...(set.activities as Stored[]));
    if (Number(set.watermark) === watermark) return { activities: all, watermark };
    watermark = Number(set.watermark);
  }
}

const transcript = async (app: App, conversationId: string) => (await read(app, conversationId)).activities;

const fromBot = (activities: Stored[]) => activities.filter((x) => x.from.role === 'bot');

/** Waits until the bot has said `n` messages in all. */
async function botSaid(app: App, conversationId: string, n: number): Promise<Stored[]> {
  let seen: Stored[] = [];
  await pollUntil(
    async () => {
      seen = fromBot(await transcript(app, conversationId));
      return seen.length >= n;
    },
    10_000,
    () => new Error(`the bot said ${seen.length} messages, not ${n}`),
    50,
  );
  return seen;
}

/**
 * A message stored as a post stores it, by a process that stopped before its turn answered;
 * `agoMs` ago. Its dedupe mark is there too: the first run had begun.
 */
async function lostMessage(app: App, conversationId: string, clientId: string, agoMs: number) {
  const conv = await app.webchat.store.conversation(conversationId);
  const { activities } = await app.webchat.store.append(conversationId, [
    {
      type: 'message',
      text: 'Bonjour',
      channelData: { clientActivityID: clientId },
      channelId: 'directline',
      from: { id: conv?.userId ?? '', name: '' },
      conversation: { id: conversationId, isGroup: false, conversationType: 'personal', name: '' },
      timestamp: new Date(Date.now() - agoMs),
    },
  ]);
  await mark(app.db.connection, `webchat|${conversationId}:c:${clientId}`);
  return activities[0] as Stored;
}

/** Makes the conversation's last entry look `agoMs` old, as if posted then. */
async function age(app: App, conversationId: string, agoMs: number): Promise<void> {
  const entries = app.db.connection.collection<{ _id: string; json: string }>('webchat_activities');
  const _id = `${conversationId}#${(await read(app, conversationId)).watermark}`;
  const doc = await entries.findOne({ _id });
  const activities = JSON.parse(doc?.json ?? '[]') as Stored[];
  for (const x of activities) x.timestamp = new Date(Date.now() - agoMs);
  await entries.updateOne({ _id }, { $set: { json: JSON.stringify(activities) } });
}

describe('web chat messages left unanswered by a stopped process', () => {
  it('runs the turn again when a client reconnects to another process and no reply comes', async () => {
    const conv = await newConversation(a);
    const lost = await lostMessage(a, conv.id, 'lost-1', 30_000);
    expect(fromBot(await transcript(a, conv.id))).toEqual([]);

    // The client's socket to `a` closed with it; it reconnects to `b`, having seen its message.
    const ws = new WebSocket(`${conv.streamUrl.replace(a.url.slice(7), b.url.slice(7))}&watermark=1`, {
      headers: { Origin: 'http://localhost:3978' },
    });
    const pushed: Stored[] = [];
    ws.on('message', (data) => {
      if (data.toString()) pushed.push(...(JSON.parse(data.toString()).activities as Stored[]));
    });
    try {
      await pollUntil(
        () => fromBot(pushed).length >= 2,
        10_000,
        () => new Error(`no reply on the socket: ${JSON.stringify(pushed.map((x) => x.text))}`),
        50,
      );
      expect(fromBot(pushed)[0]?.text).toMatch(/bienvenue sur Tandem/);
      expect(fromBot(pushed).every((x) => x.replyToId === lost.id)).toBe(true);
      // Answered once, and no process runs it again.
      const said = fromBot(await transcript(a, conv.id)).length;
      expect(await a.webchat.turns.recover(conv.id)).toBe('answered');
      await new Promise((r) => setTimeout(r, 1500));
      expect(fromBot(await transcript(a, conv.id))).toHaveLength(said);
    } finally {
      ws.close();
    }
  });

  it('runs a lost turn in one process only, and leaves a recent message to the turn running', async () => {
    const conv = await newConversation(a);
    await lostMessage(a, conv.id, 'young-1', 0);
    expect(await b.webchat.turns.recover(conv.id)).toBe('young');

    const other = await newConversation(a);
    await lostMessage(a, other.id, 'lost-2', 30_000);
    const outcomes = await Promise.all([
      a.webchat.turns.recover(other.id),
      b.webchat.turns.recover(other.id),
    ]);
    expect(outcomes.filter((o) => o === 'recovered')).toHaveLength(1);
    expect(outcomes.filter((o) => o !== 'recovered')).toEqual([expect.stringMatching(/^(taken|answered)$/)]);
    const welcome = await botSaid(a, other.id, 2);
    await new Promise((r) => setTimeout(r, 1000));
    expect(fromBot(await transcript(a, other.id))).toHaveLength(welcome.length);
  });

  it('leaves a slow turn still running in this process alone', async () => {
    const conv = await newConversation(a);
    const engine = a.bot.engine;
    const process = engine.process.bind(engine);
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    engine.process = async (...args) => {
      await held;
      return process(...args);
    };
    try {
      await call(a, 'POST', `/conversations/${conv.id}/activities`, conv.token, {
        type: 'message',
        text: 'Bonjour',
      });
      await age(a, conv.id, 30_000);
      expect(await a.webchat.turns.recover(conv.id)).toBe('running');
    } finally {
      engine.process = process;
      release();
    }
    const welcome = await botSaid(a, conv.id, 2);
    await new Promise((r) => setTimeout(r, 500));
    expect(fromBot(await transcript(a, conv.id))).toHaveLength(welcome.length);
  });

  it('does not apply twice a message whose turn was saved but whose replies were lost: it asks the question again', async () => {
    const conv = await newConversation(a);
    const post = (text: string, value?: unknown) =>
      call(a, 'POST', `/conversations/${conv.id}/activities`, conv.token, { type: 'message', text, value });
    await post('Bonjour');
    const welcome = await botSaid(a, conv.id, 2);
    const consent = welcome.at(-1)?.suggestedActions?.actions[0];
    await post(String(consent?.title), consent?.value);
    const asked = await botSaid(a, conv.id, welcome.length + 1);
    expect(asked.at(-1)?.text).toMatch(/tranche d'âge/);

    // The process saves the answer, then stops before any reply is stored.
    const store = a.webchat.store;
    const append = store.append.bind(store);
    let refused = 0;
    store.append = async (id, activities) => {
      if (activities.some((x) => (x.from as { role?: string } | undefined)?.role === 'bot')) {
        refused++;
        throw new Error('the process stopped');
      }
      return append(id, activities);
    };
    try {
      await post('26 à 35 ans');
      // The turn's replies, then its apology: neither is stored.
      await pollUntil(
        () => refused >= 2,
        5_000,
        () => new Error('the turn never tried to answer'),
      );
    } finally {
      store.append = append;
    }
    const tail = (await transcript(a, conv.id)).at(-1);
    expect(tail?.text).toBe('26 à 35 ans');

    await age(a, conv.id, 30_000);
    expect(await b.webchat.turns.recover(conv.id)).toBe('recovered');
    const replies = (await botSaid(a, conv.id, asked.length + 2)).slice(asked.length);
    expect(replies.map((x) => x.text)).toEqual([
      'Votre dernier message a bien été pris en compte.',
      expect.stringMatching(/Comment vous appelez-vous/),
    ]);
  });
});
