import { setImmediate as tick } from 'node:timers/promises';
import type { Activity, ConversationReference } from 'botbuilder';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { Database } from '../../bot/db/database.js';
import { PartlySentError } from '../../bot/errors.js';
import { type DeliverySender, Outbox, type SendOutcome } from '../../bot/services/outbox.js';
import { claim } from '../../models/claim.js';
import { type DeliveryStatus, deliveryDueModel, deliveryModel } from '../../models/delivery.js';
import { monitoredConnection, silentLog, useTestDb } from '../helpers/db.js';

let db: Database;
let n = 0;

beforeAll(async () => {
  db = await useTestDb('outbox');
});

/** A key no other test uses. */
const key = (what: string) => `${what}|${++n}`;

const hello: Partial<Activity>[] = [{ type: 'message', text: 'Bonjour' }];

interface Call {
  to: string;
  activities: Partial<Activity>[];
}

/** A sender that records what it is asked to send; `answer` decides what each call does. */
function fakeSender(answer: (call: Call) => SendOutcome | Promise<SendOutcome> = () => 'sent') {
  const calls: Call[] = [];
  const sender: DeliverySender = {
    async toPerson(personId, activities) {
      const call = { to: personId, activities };
      calls.push(call);
      await tick();
      return answer(call);
    },
    async toConversation(channel, conversation, activities) {
      const call = { to: `${channel}:${conversation.conversation?.id}`, activities };
      calls.push(call);
      await tick();
      await answer(call);
    },
  };
  return { sender, calls };
}

/** A delivery written straight to the database, as an older version or a crashed process left it. */
async function writeDelivery(k: string, status: DeliveryStatus, attempts: number, now: number) {
  await deliveryModel(db.connection).create({
    _id: k,
    to: { personId: k },
    activities: JSON.stringify(hello),
    status,
    attempts,
    nextAt: new Date(now),
    createdAt: new Date(now),
  });
}

function clock(start = Date.parse('2026-11-27T09:00:00Z')) {
  let now = start;
  return {
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
  };
}

describe('the outbox', () => {
  it('sends a key once, however often it is enqueued', async () => {
    const { sender, calls } = fakeSender();
    const outbox = new Outbox({ conn: db.connection, log: silentLog, sender });
    const k = key('twice');
    const created = await Promise.all([
      outbox.enqueue(k, { personId: 'p1' }, hello),
      outbox.enqueue(k, { personId: 'p1' }, hello),
    ]);
    expect(created.sort()).toEqual([false, true]);
    await outbox.idle();
    expect(await outbox.enqueue(k, { personId: 'p1' }, hello)).toBe(false);
    await outbox.drain();
    await outbox.idle();
    expect(calls).toHaveLength(1);
  });

  it('sends at once, without waiting for the job', async () => {
    const { sender, calls } = fakeSender();
    const outbox = new Outbox({ conn: db.connection, log: silentLog, sender });
    const k = key('now');
    await outbox.enqueue(k, { personId: 'p2' }, hello);
    await outbox.idle();
    expect(calls).toEqual([{ to: 'p2', activities: hello }]);
    const doc = await outbox.get(k);
    expect(doc?.status).toBe('sent');
    expect(doc?.attempts).toBe(1);
    expect(doc?.sentAt).toBeInstanceOf(Date);
    expect(doc?.lockedUntil).toBeUndefined();
  });

  it('waits for a sender set later, then the drain sends', async () => {
    const outbox = new Outbox({ conn: db.connection, log: silentLog });
    const k = key('later');
    await outbox.enqueue(k, { personId: 'p3' }, hello);
    await outbox.idle();
    expect(await outbox.drain()).toBe(0);
    expect((await outbox.get(k))?.attempts).toBe(0);
    const { sender, calls } = fakeSender();
    outbox.setSender(sender);
    expect(await outbox.drain()).toBeGreaterThanOrEqual(1);
    expect(calls.map((c) => c.to)).toContain('p3');
    expect((await outbox.get(k))?.status).toBe('sent');
  });

  it('sends each delivery once when two processes drain the same ones together', async () => {
    const time = clock();
    const { sender, calls } = fakeSender();
    const a = new Outbox({ conn: db.connection, log: silentLog, sender, now: time.now });
    const b = new Outbox({ conn: db.connection, log: silentLog, sender, now: time.now });
    for (let round = 0; round < 4; round++) {
      const keys = Array.from({ length: 20 }, () => key(`race-${round}`));
      const notBefore = new Date(time.now() + 1000);
      await Promise.all(
        keys.map((k, i) => (i % 2 ? a : b).enqueue(k, { personId: k }, hello, { notBefore })),
      );
      time.advance(1000);
      const [byA, byB] = await Promise.all([a.drain(), b.drain()]);
      expect(byA + byB).toBe(20);
      const sent = calls.map((c) => c.to).filter((to) => keys.includes(to));
      expect(sent.sort()).toEqual([...keys].sort());
      for (const k of keys) expect((await a.get(k))?.status).toBe('sent');
      time.advance(60_000);
      expect(await Promise.all([a.drain(), b.drain()])).toEqual([0, 0]);
    }
  });

  it('retries a failed send after each delay, then gives up and says so', async () => {
    const time = clock();
    const { sender, calls } = fakeSender(() => {
      throw new Error('503 Service Unavailable');
    });
    const outbox = new Outbox({
      conn: db.connection,
      log: silentLog,
      sender,
      now: time.now,
      retryDelaysMs: [1000, 5000],
    });
    const k = key('flaky');
    await outbox.enqueue(k, { personId: 'p4' }, hello);
    await outbox.idle();
    expect(calls).toHaveLength(1);
    expect(await outbox.get(k)).toMatchObject({
      status: 'pending',
      attempts: 1,
      lastError: '503 Service Unavailable',
    });
    time.advance(999);
    expect(await outbox.drain()).toBe(0);
    time.advance(1);
    expect(await outbox.drain()).toBe(1);
    expect(calls).toHaveLength(2);
    time.advance(4999);
    expect(await outbox.drain()).toBe(0);
    time.advance(1);
    expect(await outbox.drain()).toBe(1);
    expect(calls).toHaveLength(3);
    expect(await outbox.get(k)).toMatchObject({ status: 'failed', attempts: 3 });
    time.advance(3_600_000);
    expect(await outbox.drain()).toBe(0);
    expect(calls).toHaveLength(3);
  });

  it('sends again only what a failed attempt had not sent yet', async () => {
    const time = clock();
    const three = ['Un', 'Deux', 'Trois'].map((text) => ({ type: 'message' as const, text }));
    let failures = 2;
    const { sender, calls } = fakeSender(() => {
      // Each failing attempt gets its first activity through.
      if (failures-- > 0) throw new PartlySentError(1, new Error('429 Too Many Requests'));
      return 'sent';
    });
    const outbox = new Outbox({
      conn: db.connection,
      log: silentLog,
      sender,
      now: time.now,
      retryDelaysMs: [1000, 1000],
    });
    const k = key('partly');
    const staff = {
      channel: 'slack',
      conversation: { conversation: { id: 'C0STAFF', isGroup: true, conversationType: 'channel', name: '' } },
    };
    await outbox.enqueue(k, staff, three);
    await outbox.idle();
    expect(await outbox.get(k)).toMatchObject({ status: 'pending', sent: 1 });
    time.advance(1000);
    await outbox.drain();
    time.advance(1000);
    await outbox.drain();
    expect(calls.map((c) => c.activities.map((a) => a.text))).toEqual([
      ['Un', 'Deux', 'Trois'],
      ['Deux', 'Trois'],
      ['Trois'],
    ]);
    expect(await outbox.get(k)).toMatchObject({ status: 'sent', attempts: 3 });

    // To a person: the sender is told how many went, and where (it picks the channel).
    const resumes: unknown[] = [];
    let first = true;
    const person: DeliverySender = {
      async toPerson(_id, activities, resume) {
        // All of them: the sender slices, where they went (the outbox does not know the channel).
        expect(activities.map((a) => a.text)).toEqual(['Un', 'Deux', 'Trois']);
        resumes.push(resume);
        if (!first) return 'sent';
        first = false;
        throw new PartlySentError(2, new Error('429 Too Many Requests'), 'tg|lina');
      },
      toConversation: async () => {},
    };
    const toPerson = new Outbox({
      conn: db.connection,
      log: silentLog,
      sender: person,
      now: time.now,
      retryDelaysMs: [1000],
    });
    const k3 = key('partly-person');
    await toPerson.enqueue(k3, { personId: 'p4d' }, three);
    await toPerson.idle();
    time.advance(1000);
    await toPerson.drain();
    expect(resumes).toEqual([undefined, { sent: 2, on: 'tg|lina' }]);

    // A failure after the last one went (writing down the buttons' messages): sent, not retried.
    const { sender: after, calls: once } = fakeSender(() => {
      throw new PartlySentError(3, new Error('database unreachable'));
    });
    const k2 = key('all-then-failed');
    const second = new Outbox({ conn: db.connection, log: silentLog, sender: after });
    await second.enqueue(k2, { personId: 'p4c' }, three);
    await second.idle();
    expect(await outbox.get(k2)).toMatchObject({ status: 'sent' });
    expect(once).toHaveLength(1);
  });

  it('stops draining once stopped: the delivery being sent finishes, the next waits for another process', async () => {
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { sender, calls } = fakeSender(async (): Promise<SendOutcome> => {
      await gate;
      return 'sent';
    });
    const outbox = new Outbox({ conn: db.connection, log: silentLog });
    const [k1, k2] = [key('stopping'), key('stopping')];
    await outbox.enqueue(k1, { personId: 'p5a' }, hello);
    await outbox.enqueue(k2, { personId: 'p5b' }, hello);
    outbox.setSender(sender);
    const drained = outbox.drain();
    await vi.waitFor(() => expect(calls).toHaveLength(1));
    const stopped = outbox.stop(5000);
    // It waits for the delivery being sent.
    let over = false;
    void stopped.then(() => {
      over = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(over).toBe(false);
    release();
    expect(await drained).toBe(1);
    expect(await stopped).toBe(true);
    expect(calls).toHaveLength(1);
    const statuses = [(await outbox.get(k1))?.status, (await outbox.get(k2))?.status];
    expect(statuses.sort()).toEqual(['pending', 'sent']);
    // Another process sends it.
    const next = fakeSender();
    await new Outbox({ conn: db.connection, log: silentLog, sender: next.sender }).drain();
    expect(next.calls.map((c) => c.to).filter((to) => to.startsWith('p5'))).toHaveLength(1);
    expect([(await outbox.get(k1))?.status, (await outbox.get(k2))?.status]).toEqual(['sent', 'sent']);
  });

  it('records a person who said stop or cannot be reached, and never retries', async () => {
    const time = clock();
    const { sender, calls } = fakeSender((call) => (call.to === 'stopper' ? 'stopped' : 'unreachable'));
    const outbox = new Outbox({ conn: db.connection, log: silentLog, sender, now: time.now });
    const stopped = key('stopped');
    const unreachable = key('unreachable');
    await outbox.enqueue(stopped, { personId: 'stopper' }, hello);
    await outbox.enqueue(unreachable, { personId: 'gone' }, hello);
    await outbox.idle();
    expect((await outbox.get(stopped))?.status).toBe('stopped');
    expect((await outbox.get(unreachable))?.status).toBe('unreachable');
    expect((await outbox.get(stopped))?.sentAt).toBeUndefined();
    time.advance(24 * 3600_000);
    await outbox.drain();
    expect(calls).toHaveLength(2);
  });

  it('does not send before notBefore', async () => {
    const time = clock();
    const { sender, calls } = fakeSender();
    const outbox = new Outbox({ conn: db.connection, log: silentLog, sender, now: time.now });
    const k = key('later');
    await outbox.enqueue(k, { personId: 'p5' }, hello, { notBefore: new Date(time.now() + 3600_000) });
    await outbox.idle();
    await outbox.drain();
    expect(calls).toHaveLength(0);
    time.advance(3600_000 - 1);
    await outbox.drain();
    expect(calls).toHaveLength(0);
    time.advance(1);
    await outbox.drain();
    expect(calls.map((c) => c.to)).toEqual(['p5']);
  });

  it('sends again an attempt whose process died, once its lock has passed, but not one still running', async () => {
    const time = clock();
    const { sender, calls } = fakeSender();
    const outbox = new Outbox({ conn: db.connection, log: silentLog, sender, now: time.now });
    const past = new Date(time.now() - 1000);
    const future = new Date(time.now() + 60_000);
    const base = { activities: JSON.stringify(hello), status: 'pending', nextAt: past, createdAt: past };
    const died = key('died');
    const diedBeforeRecording = key('died-early');
    const running = key('running');
    await deliveryModel(db.connection).collection.insertMany([
      { _id: died as never, to: { personId: died }, ...base, attempts: 1, lockedUntil: past },
      { _id: diedBeforeRecording as never, to: { personId: diedBeforeRecording }, ...base, attempts: 0 },
      { _id: running as never, to: { personId: running }, ...base, attempts: 1, lockedUntil: future },
    ]);
    await claim(db.connection, `delivery|${died}|1`, String(past.getTime()));
    await claim(db.connection, `delivery|${diedBeforeRecording}|1`, String(past.getTime()));
    await claim(db.connection, `delivery|${running}|1`, String(future.getTime()));

    await outbox.drain();
    expect(calls.map((c) => c.to).sort()).toEqual([died, diedBeforeRecording].sort());
    expect(await outbox.get(died)).toMatchObject({ status: 'sent', attempts: 2 });
    expect(await outbox.get(diedBeforeRecording)).toMatchObject({ status: 'sent', attempts: 2 });
    expect(await outbox.get(running)).toMatchObject({ status: 'pending', attempts: 1 });
  });

  it('fails a delivery whose every attempt was abandoned, without sending it again', async () => {
    const time = clock();
    const { sender, calls } = fakeSender();
    const outbox = new Outbox({
      conn: db.connection,
      log: silentLog,
      sender,
      now: time.now,
      retryDelaysMs: [1000],
    });
    const past = new Date(time.now() - 1000);
    const k = key('crashing');
    await deliveryModel(db.connection).collection.insertOne({
      _id: k as never,
      to: { personId: k },
      activities: JSON.stringify(hello),
      status: 'pending',
      attempts: 2,
      nextAt: past,
      lockedUntil: past,
      createdAt: past,
    });
    expect(await outbox.drain()).toBe(1);
    expect(calls).toHaveLength(0);
    expect(await outbox.get(k)).toMatchObject({ status: 'failed', attempts: 2 });
  });

  it('gives the activities back as they were written, cards and quick replies included', async () => {
    const { sender, calls } = fakeSender();
    const outbox = new Outbox({ conn: db.connection, log: silentLog, sender });
    const buttons = [
      { type: 'imBack', title: 'Ça m’intéresse', value: 'interested' },
      { type: 'imBack', title: 'Voir un autre profil', value: 'pass' },
    ];
    const activities: Partial<Activity>[] = [
      {
        type: 'message',
        text: 'Voici un mentor pour vous : « Camille », 12 ans dans la logistique.',
        suggestedActions: { to: [], actions: buttons },
      },
      {
        type: 'message',
        attachments: [
          {
            contentType: 'application/vnd.microsoft.card.hero',
            content: {
              title: 'Camille',
              subtitle: 'Logistique · Marseille 13e',
              images: [{ url: 'https://example.org/c.png' }],
              buttons,
            },
          },
        ],
        channelData: { grid: [[1, 2], [3]] },
      },
    ];
    const k = key('cards');
    await outbox.enqueue(k, { personId: 'p6' }, activities);
    await outbox.idle();
    expect(calls).toHaveLength(1);
    expect(calls[0]?.activities).toStrictEqual(activities);
  });

  it('sends to a fixed conversation through toConversation', async () => {
    const received: unknown[] = [];
    const { sender, calls } = fakeSender();
    const outbox = new Outbox({
      conn: db.connection,
      log: silentLog,
      sender: {
        ...sender,
        toPerson: () => Promise.reject(new Error('not a person')),
        async toConversation(channel, conversation, activities) {
          received.push({ channel, conversation });
          await sender.toConversation(channel, conversation, activities);
        },
      },
    });
    const conversation: Partial<ConversationReference> = {
      channelId: 'slack',
      conversation: { id: 'C0STAFF', isGroup: true, conversationType: 'channel', name: '' },
    };
    const k = key('staff');
    await outbox.enqueue(k, { channel: 'slack', conversation }, hello);
    await outbox.idle();
    expect(received).toEqual([{ channel: 'slack', conversation }]);
    expect(calls).toEqual([{ to: 'slack:C0STAFF', activities: hello }]);
    expect((await outbox.get(k))?.status).toBe('sent');
  });

  it('drains from the due set: deliveries written before it are found once, finished ones leave it', async () => {
    const time = clock();
    const { sender, calls } = fakeSender();
    // Written as before the due set existed (or by a process that died before adding it there).
    const old = key('before-due-set');
    await writeDelivery(old, 'pending', 0, time.now());
    // Sent, but its process died before taking it out of the due set.
    const done = key('done');
    await writeDelivery(done, 'sent', 1, time.now());
    await deliveryDueModel(db.connection).create({ _id: done, at: new Date(time.now()) });

    const outbox = new Outbox({ conn: db.connection, log: silentLog, sender, now: time.now });
    await outbox.drain();
    expect(calls.map((c) => c.to)).toContain(old);
    expect(calls.map((c) => c.to)).not.toContain(done);
    expect((await outbox.get(old))?.status).toBe('sent');
    const due = await deliveryDueModel(db.connection)
      .find({ _id: { $in: [old, done] } })
      .lean();
    expect(due).toEqual([]);
  });

  it('reads the deliveries by key only once it has checked them, whatever their number', async () => {
    const { conn, commands, close } = await monitoredConnection('outbox_reads');
    try {
      const finds = () => commands.filter((c) => c.name === 'find');
      const time = clock();
      const { sender, calls } = fakeSender();
      const outbox = new Outbox({ conn, log: silentLog, sender, now: time.now });
      const sent = Array.from({ length: 30 }, (_, i) => `sent-${i}`);
      for (const k of sent) await outbox.enqueue(k, { personId: k }, hello);
      await outbox.idle();
      await outbox.drain(); // the one full read of the deliveries
      const later = 'later';
      await outbox.enqueue(later, { personId: later }, hello, { notBefore: new Date(time.now() + 60_000) });
      commands.length = 0;
      time.advance(60_000);
      expect(await outbox.drain()).toBe(1);
      expect(calls.map((c) => c.to)).toContain(later);
      expect(finds().filter((f) => f.collection === 'deliveries' && f.filter !== '_id')).toEqual([]);
      expect(finds().filter((f) => f.collection === 'deliveries_due')).toHaveLength(1);
    } finally {
      await close();
    }
  });

  it('does not send again a delivery sent but not recorded (the database failed just after)', async () => {
    const time = clock();
    const { sender, calls } = fakeSender();
    const outbox = new Outbox({ conn: db.connection, log: silentLog, sender, now: time.now });
    const deliveries = (outbox as unknown as { deliveries: { updateOne: (...a: unknown[]) => unknown } })
      .deliveries;
    const updateOne = deliveries.updateOne.bind(deliveries);
    let failures = 0;
    // The write that records the send fails once (the lock's write before it goes through).
    deliveries.updateOne = (...args: unknown[]) => {
      const set = (args[1] as { $set?: { status?: string } }).$set;
      if (set?.status === 'sent' && failures++ === 0) return Promise.reject(new Error('connection reset'));
      return updateOne(...args);
    };
    const k = key('sent-unrecorded');
    await outbox.enqueue(k, { personId: k }, hello);
    await outbox.idle();
    expect(failures).toBe(2);
    expect((await outbox.get(k))?.status).toBe('sent');
    // Later drains, once the lock and every retry delay have passed, find nothing to send.
    time.advance(3 * 3600_000);
    await outbox.drain();
    expect(calls.filter((c) => c.to === k)).toHaveLength(1);
  });

  it('puts back in the due set a delivery enqueued again after its writer stopped half-way', async () => {
    const time = clock();
    const { sender, calls } = fakeSender();
    const outbox = new Outbox({ conn: db.connection, log: silentLog, sender, now: time.now });
    await outbox.drain(); // this process has checked the deliveries already
    // Written, but its process stopped before putting it in the due set.
    const k = key('half-written');
    await writeDelivery(k, 'pending', 0, time.now());
    // The caller runs again (a retried job): the delivery exists, so it is not written twice...
    expect(await outbox.enqueue(k, { personId: k }, hello)).toBe(false);
    // ...and the drain of a process already running sends it.
    await outbox.drain();
    expect(calls.map((c) => c.to)).toContain(k);
  });
});
