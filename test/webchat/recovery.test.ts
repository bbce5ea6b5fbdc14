import type { Activity } from 'botbuilder';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import type { App } from '../../bot/app.js';
import { Database } from '../../bot/db/database.js';
import { mark } from '../../models/inbound-mark.js';
import { holdTurns, startTestApp, TEST_SECRET } from '../helpers/app.js';
import { freshDbUri, silentLog } from '../helpers/db.js';
import { pollUntil } from '../helpers/poll.js';

// Two processes on one database: `a` takes the messages, `b` is where a client reconnects.
let a: App;
let b: App;
const uri = freshDbUri('recovery');

// A socket's conversation is looked at after 1 s without a reply (20 s by default).
beforeAll(async () => {
  a = await startTestApp({ WEBCHAT_RECOVER_AFTER_S: '1' }, { dbUri: uri });
  b = await startTestApp({ WEBCHAT_RECOVER_AFTER_S: '1' }, { dbUri: uri });
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
async function lostMessage(
  app: App,
  conversationId: string,
  clientId: string,
  agoMs: number,
  text = 'Bonjour',
) {
  const conv = await app.webchat.store.conversation(conversationId);
  const { activities } = await app.webchat.store.append(conversationId, [
    {
      type: 'message',
      text,
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

/** A client's socket on `url`: what it got, and a wait for the bot's `n` first messages there. */
function openStream(url: string) {
  const ws = new WebSocket(url, { headers: { Origin: 'http://localhost:3978' } });
  const pushed: Stored[] = [];
  ws.on('message', (data) => {
    if (data.toString()) pushed.push(...(JSON.parse(data.toString()).activities as Stored[]));
  });
  const replies = async (n: number) => {
    await pollUntil(
      () => fromBot(pushed).length >= n,
      10_000,
      () => new Error(`no reply on the socket: ${JSON.stringify(pushed.map((x) => x.text))}`),
      50,
    );
    return fromBot(pushed);
  };
  return { ws, pushed, replies };
}

/** The stream URL of a conversation started on `a`, on `b` instead, from `watermark`. */
const onB = (streamUrl: string, watermark: number) =>
  `${streamUrl.replace(a.url.slice(7), b.url.slice(7))}&watermark=${watermark}`;

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A person at the age question, in the web chat of `app`; `post` sends as the widget does. */
async function atAgeQuestion(app: App) {
  const conv = await newConversation(app);
  let n = 0;
  const post = (text: string, value?: unknown, clientId = `c${++n}`) =>
    call(app, 'POST', `/conversations/${conv.id}/activities`, conv.token, {
      type: 'message',
      text,
      value,
      channelData: { clientActivityID: clientId },
    });
  await post('Bonjour');
  const welcome = await botSaid(app, conv.id, 2);
  const consent = welcome.at(-1)?.suggestedActions?.actions[0];
  await post(String(consent?.title), consent?.value);
  const asked = await botSaid(app, conv.id, welcome.length + 1);
  expect(asked.at(-1)?.text).toMatch(/Quelle est votre tranche d'âge/);
  return { conv, post, said: asked.length };
}

describe('web chat messages left unanswered by a stopped process', () => {
  it('runs the turn again when a client reconnects to another process and no reply comes', async () => {
    const conv = await newConversation(a);
    const lost = await lostMessage(a, conv.id, 'lost-1', 5_000);
    expect(fromBot(await transcript(a, conv.id))).toEqual([]);

    // The client's socket to `a` closed with it; it reconnects to `b`, having seen its message.
    const { ws, replies } = openStream(onB(conv.streamUrl, 1));
    try {
      const pushed = await replies(2);
      expect(pushed[0]?.text).toMatch(/bienvenue sur Tandem/);
      expect(pushed.every((x) => x.replyToId === lost.id)).toBe(true);
      // Answered once: neither the socket's process, a second later, nor another one runs it again.
      const said = fromBot(await transcript(a, conv.id)).length;
      expect(await a.webchat.turns.recover(conv.id)).toEqual({ recovered: 0, later: 0 });
      await wait(2500);
      expect(fromBot(await transcript(a, conv.id))).toHaveLength(said);
    } finally {
      ws.close();
    }
  });

  it('runs the turn again when the socket got the message live and no reply came', async () => {
    const conv = await newConversation(b);
    const { ws, pushed, replies } = openStream(conv.streamUrl);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    try {
      // Stored here, and pushed to the socket; the turn was to run in a process that stopped.
      const lost = await lostMessage(b, conv.id, 'live', 0);
      const answers = await replies(2);
      expect(pushed[0]?.id).toBe(lost.id);
      expect(answers.every((x) => x.replyToId === lost.id)).toBe(true);
    } finally {
      ws.close();
    }
  });

  it('runs a lost turn in one process only, and not a message older than 10 minutes', async () => {
    const conv = await newConversation(a);
    await lostMessage(a, conv.id, 'lost-2', 5_000);
    const outcomes = await Promise.all([a.webchat.turns.recover(conv.id), b.webchat.turns.recover(conv.id)]);
    expect(outcomes.map((o) => o.recovered).sort()).toEqual([0, 1]);
    const welcome = await botSaid(a, conv.id, 2);
    await wait(1000);
    expect(fromBot(await transcript(a, conv.id))).toHaveLength(welcome.length);

    const old = await newConversation(a);
    await lostMessage(a, old.id, 'lost-old', 11 * 60_000);
    expect(await b.webchat.turns.recover(old.id)).toEqual({ recovered: 0, later: 0 });
  });

  it('runs a message overtaken by the reply to an earlier one, for a client that reconnects after it', async () => {
    const conv = await newConversation(a);
    const first = await lostMessage(a, conv.id, 'answered', 6_000, 'Bonjour');
    const second = await lostMessage(a, conv.id, 'overtaken', 5_000, 'aide');
    // The first one's reply was stored after the second message, then the process stopped.
    const { seq } = await a.webchat.store.append(conv.id, [
      {
        type: 'message',
        text: 'Bienvenue',
        from: { id: 'tandem', name: 'Tandem', role: 'bot' },
        replyToId: first.id,
      },
    ]);
    // The client got that reply, then lost its socket; it reconnects to `b`.
    const { ws, replies } = openStream(onB(conv.streamUrl, seq));
    try {
      expect((await replies(1)).every((x) => x.replyToId === second.id)).toBe(true);
    } finally {
      ws.close();
    }
  });

  it('leaves lost messages alone while a younger one may still be in a turn, or once a later one was answered', async () => {
    const conv = await newConversation(a);
    await lostMessage(a, conv.id, 'old', 5_000, 'Bonjour');
    await lostMessage(a, conv.id, 'young', 0, 'oui');
    expect(await b.webchat.turns.recover(conv.id)).toEqual({ recovered: 0, later: 2 });

    // The person saw no answer and wrote again; that one was answered: they went on.
    const { conv: on, post, said } = await atAgeQuestion(a);
    await lostMessage(a, on.id, 'lost-before', 5_000, '26 à 35 ans');
    await post('26 à 35 ans');
    await botSaid(a, on.id, said + 1);
    await wait(1100);
    expect(await b.webchat.turns.recover(on.id)).toEqual({ recovered: 0, later: 0 });
  });

  it("keeps a message the bot starts from answering the user's last one", async () => {
    const conv = await newConversation(a);
    const lost = await lostMessage(a, conv.id, 'then-proactive', 5_000);
    // The person exists (their first turn saved them), and a job writes to them.
    const userId = (await a.webchat.store.conversation(conv.id))?.userId ?? '';
    const { person } = await a.bot.services.people.resolve({
      channel: 'webchat',
      userId,
      conversation: { conversation: { id: conv.id }, user: { id: userId }, activityId: lost.id },
      defaultRole: 'mentee',
      locale: 'fr',
    });
    expect(
      await a.bot.proactive.send(person._id, [{ type: 'message', text: 'Une nouvelle proposition' }]),
    ).toBe('sent');
    const last = (await transcript(a, conv.id)).at(-1);
    expect(last?.text).toBe('Une nouvelle proposition');
    expect(last?.replyToId).toBeUndefined();
    expect((await b.webchat.turns.recover(conv.id)).recovered).toBe(1);
  });

  it('runs every message lost after the last one answered, in order', async () => {
    const conv = await newConversation(a);
    await lostMessage(a, conv.id, 'first', 5_000, 'Bonjour');
    await lostMessage(a, conv.id, 'second', 4_000, 'oui');
    expect((await b.webchat.turns.recover(conv.id)).recovered).toBe(2);
    const said = await botSaid(a, conv.id, 3);
    await wait(500);
    const texts = fromBot(await transcript(a, conv.id)).map((x) => x.text);
    expect(texts[0]).toMatch(/bienvenue sur Tandem/);
    expect(texts.at(-1)).toMatch(/Quelle est votre tranche d'âge/);
    expect(texts).toHaveLength(said.length);
  });

  it('leaves a slow turn still running in this process alone, and looks again later', async () => {
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
      // Young, it may be in a turn elsewhere; old enough, it is running here.
      expect(await a.webchat.turns.recover(conv.id)).toEqual({ recovered: 0, later: 1 });
      await wait(1100);
      expect(await a.webchat.turns.recover(conv.id)).toEqual({ recovered: 0, later: 1 });
    } finally {
      engine.process = process;
      release();
    }
    const welcome = await botSaid(a, conv.id, 2);
    await wait(500);
    expect(fromBot(await transcript(a, conv.id))).toHaveLength(welcome.length);
  });

  it('does not run again a retried copy of a message answered before', async () => {
    const { conv, post, said } = await atAgeQuestion(a);
    await post('26 à 35 ans', undefined, 'retried');
    await botSaid(a, conv.id, said + 1);
    // The client did not see the answer to its post and sent it again: the copy is dropped.
    await post('26 à 35 ans', undefined, 'retried');
    // Old enough to be run again, were it not a copy.
    await wait(1100);
    expect((await transcript(a, conv.id)).at(-1)?.text).toBe('26 à 35 ans');
    expect(await b.webchat.turns.recover(conv.id)).toEqual({ recovered: 0, later: 0 });
  });

  it('leaves a lost turn to the process running it again, even to one that looks two minutes on', async () => {
    const conv = await newConversation(a);
    await lostMessage(a, conv.id, 'lost-boundary', 100_000);
    const { turns, release, restore } = holdTurns(a);
    try {
      expect((await a.webchat.turns.recover(conv.id)).recovered).toBe(1);
      await pollUntil(
        () => turns.mock.calls.length === 1,
        5_000,
        () => new Error('not run'),
      );
      // Another process looks while that turn runs, 30 s later: the message is 130 s old now.
      const clock = vi.spyOn(Date, 'now').mockReturnValue(Date.now() + 30_000);
      try {
        expect(await b.webchat.turns.recover(conv.id)).toEqual({ recovered: 0, later: 1 });
      } finally {
        clock.mockRestore();
      }
      release();
      const welcome = await botSaid(a, conv.id, 2);
      await wait(500);
      expect(fromBot(await transcript(a, conv.id))).toHaveLength(welcome.length);
    } finally {
      restore();
    }
  });

  it('goes on watching a message another process took lately, when its run stops there', async () => {
    const conv = await newConversation(a);
    await lostMessage(a, conv.id, 'lost-taken', 5_000);
    // A process that ran a set of messages, this one among them, lately (and died).
    await mark(a.db.connection, `webchat|recover|webchat|${conv.id}:c:lost-taken|1`);
    expect(await b.webchat.turns.recover(conv.id)).toEqual({ recovered: 0, later: 1 });
  });

  it('settles a turn with nothing to say: no process runs it again', async () => {
    const conv = await newConversation(a);
    await lostMessage(a, conv.id, 'silent', 5_000);
    const engine = b.bot.engine;
    const process = engine.process.bind(engine);
    let ran = 0;
    engine.process = async () => {
      ran++;
      return 'silent';
    };
    try {
      expect((await b.webchat.turns.recover(conv.id)).recovered).toBe(1);
      await pollUntil(
        () => ran === 1,
        5_000,
        () => new Error('not run'),
      );
      await wait(300);
      // Without the settling, it would be "later" (b's attempt is fresh), then run every 2 minutes.
      expect(await a.webchat.turns.recover(conv.id)).toEqual({ recovered: 0, later: 0 });
      expect(ran).toBe(1);
    } finally {
      engine.process = process;
    }
  });

  it('does not apply twice a message whose turn was saved but whose replies were lost: it asks the question again', async () => {
    const { conv, post, said } = await atAgeQuestion(a);

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
    expect((await transcript(a, conv.id)).at(-1)?.text).toBe('26 à 35 ans');

    await wait(1100);
    expect((await b.webchat.turns.recover(conv.id)).recovered).toBe(1);
    const replies = (await botSaid(a, conv.id, said + 2)).slice(said);
    expect(replies.map((x) => x.text)).toEqual([
      'Votre dernier message a bien été pris en compte.',
      expect.stringMatching(/Comment vous appelez-vous/),
    ]);
    // The answer was kept once: the next one goes on from there.
    await post('Marie');
    const next = await botSaid(a, conv.id, said + 3);
    expect(next.at(-1)?.text).toMatch(/situation/i);
  });

  it('runs again, silently, a message applied before a later one was answered elsewhere', async () => {
    const { conv, post, said } = await atAgeQuestion(a);
    await post('26 à 35 ans', undefined, 'applied');
    await botSaid(a, conv.id, said + 1);
    // The next message goes to another process: this one's cached revision still ends with the first.
    await call(b, 'POST', `/conversations/${conv.id}/activities`, conv.token, {
      type: 'message',
      text: 'Marie',
    });
    await botSaid(a, conv.id, said + 2);
    const applied = (await transcript(a, conv.id)).find(
      (x) => (x.channelData as { clientActivityID?: string } | undefined)?.clientActivityID === 'applied',
    );
    // A recovery elsewhere (Telegram's, after its process stopped) runs the first one again.
    a.webchat.turns.start(conv.id, applied ?? {}, { recovered: true });
    // The engine said the turn had nothing to say: it is settled.
    await pollUntil(
      () => a.webchat.store.claimed(`settled|webchat|${conv.id}:c:applied`),
      5_000,
      () => new Error('not settled'),
    );
    expect(fromBot(await transcript(a, conv.id))).toHaveLength(said + 2);
    await post('chômage');
    const next = await botSaid(a, conv.id, said + 3);
    expect(next.at(-1)?.text).not.toMatch(/pas bien compris/);
  });
});

describe('a web chat client that polls instead of holding a socket', () => {
  /** Polls `app` as Direct Line clients do, from `watermark`, until the bot has said `n` messages. */
  async function pollFor(app: App, conv: { id: string; token: string }, watermark: number, n: number) {
    const got: Stored[] = [];
    let from = watermark;
    await pollUntil(
      async () => {
        const path = `/conversations/${conv.id}/activities?watermark=${from}`;
        const set = await call(app, 'GET', path, conv.token);
        got.push(...(set.activities as Stored[]));
        from = Number(set.watermark);
        return fromBot(got).length >= n;
      },
      10_000,
      () => new Error(`no reply to the polls: ${JSON.stringify(got.map((x) => x.text))}`),
      200,
    );
    return { got, watermark: from };
  }

  it('has a message lost with its process answered by the process it polls, once', async () => {
    const conv = await newConversation(a);
    const lost = await lostMessage(a, conv.id, 'polled', 5_000);
    const { got, watermark } = await pollFor(b, conv, 0, 2);
    expect(got[0]?.id).toBe(lost.id);
    expect(got[1]?.text).toMatch(/bienvenue sur Tandem/);
    expect(fromBot(got).every((x) => x.replyToId === lost.id)).toBe(true);
    // Polling on past the wait runs nothing more: the message is answered.
    const said = fromBot(await transcript(a, conv.id)).length;
    for (let i = 0; i < 12; i++) {
      await call(b, 'GET', `/conversations/${conv.id}/activities?watermark=${watermark}`, conv.token);
      await wait(200);
    }
    expect(fromBot(await transcript(a, conv.id))).toHaveLength(said);
  });

  it('has it answered when the client got the message elsewhere before polling here', async () => {
    const conv = await newConversation(a);
    const lost = await lostMessage(a, conv.id, 'polled-after', 5_000);
    // Its first poll here starts after the message: what became of it is not known to `b`.
    const { got } = await pollFor(b, conv, 1, 2);
    expect(got.map((x) => x.id)).not.toContain(lost.id);
    expect(fromBot(got).every((x) => x.replyToId === lost.id)).toBe(true);
  });
});
