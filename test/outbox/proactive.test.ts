import type { Connection } from 'mongoose';
import { beforeAll, describe, expect, it } from 'vitest';
import { text } from '../../bot/engine/reply.js';
import { PartlySentError, UnreachableError } from '../../bot/errors.js';
import { identityModel } from '../../models/identity.js';
import { makeTestBot, type TestBot } from '../helpers/bot.js';
import { useTestDb } from '../helpers/db.js';

let web: TestBot;
let telegram: TestBot;
let conn: Connection;

beforeAll(async () => {
  conn = (await useTestDb('proactive')).connection;
  web = makeTestBot(conn, 'test');
  telegram = web.on('tg', 'mentee');
});

describe('a message the bot starts', () => {
  it('goes to another channel of the person when the one they used last turns out blocked', async () => {
    await web.say('lina', 'Bonjour');
    const { people } = web.bot.services;
    const person = (await people.lookup('test', 'lina')).person;
    if (!person) throw new Error('no person');
    // Lina went on on Telegram (her last channel), then blocked the bot there.
    await people.link({
      personId: person._id,
      channel: 'tg',
      userId: 'lina-tg',
      conversation: { conversation: { id: 'conv-lina-tg' } },
    });
    telegram.channel.send = async () => {
      throw new UnreachableError('tg', new Error('Forbidden: bot was blocked by the user'));
    };

    expect(await web.bot.proactive.send(person._id, [text('Un nouveau profil vous attend.')])).toBe('sent');
    expect(web.channel.sent.get('conv-lina')?.at(-1)?.text).toBe('Un nouveau profil vous attend.');
    const blocked = await identityModel(conn).findById('tg|lina-tg').lean();
    expect(blocked?.unreachable).toBe(true);
  });

  it('goes to the conversation the person wrote from last, when a client opened a new one', async () => {
    await web.say('omar', 'Bonjour');
    // The same user, from a new conversation (a Direct Line client that keeps its user id).
    await web.say('omar', {
      type: 'message',
      text: "J'accepte",
      conversation: { id: 'conv-omar-2', isGroup: false, conversationType: 'personal', name: '' },
    });
    const person = (await web.bot.services.people.lookup('test', 'omar')).person;
    if (!person) throw new Error('no person');
    expect(await web.bot.proactive.send(person._id, [text('Un nouveau profil vous attend.')])).toBe('sent');
    expect(web.channel.sent.get('conv-omar-2')?.at(-1)?.text).toBe('Un nouveau profil vous attend.');
  });

  it('sends only the rest where the first ones went, and all of them elsewhere', async () => {
    await web.say('nadia', 'Bonjour');
    const person = (await web.bot.services.people.lookup('test', 'nadia')).person;
    if (!person) throw new Error('no person');
    const three = [text('Un.'), text('Deux.'), text('Trois.')];
    const inbox = () => (web.channel.sent.get('conv-nadia') ?? []).map((a) => a.text);
    const before = inbox().length;
    // The first two went to her Telegram, which she has left since: the web chat gets all three.
    await web.bot.proactive.send(person._id, three, { sent: 2, on: 'tg|nadia-tg' });
    expect(inbox().slice(before)).toEqual(['Un.', 'Deux.', 'Trois.']);
    // The first two went here: only the third.
    await web.bot.proactive.send(person._id, three, { sent: 2, on: 'test|nadia' });
    expect(inbox().slice(before + 3)).toEqual(['Trois.']);
    // A failure half-way counts from the first activity, and names where they went.
    const send = web.channel.send;
    web.channel.send = async () => {
      throw new PartlySentError(1, new Error('429 Too Many Requests'));
    };
    try {
      const failed = await web.bot.proactive
        .send(person._id, three, { sent: 1, on: 'test|nadia' })
        .catch((e) => e);
      expect(failed).toBeInstanceOf(PartlySentError);
      expect(failed).toMatchObject({ sent: 2, on: 'test|nadia' });
    } finally {
      web.channel.send = send;
    }
  });
});
