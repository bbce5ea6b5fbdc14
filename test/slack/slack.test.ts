import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../bot/app.js';
import { text } from '../../bot/engine/reply.js';
import { identityModel } from '../../models/identity.js';
import { inboundMarkModel } from '../../models/inbound-mark.js';
import { personModel } from '../../models/person.js';
import { startTestApp } from '../helpers/app.js';
import { type FakeSlack, startFakeSlack } from '../helpers/fake-slack.js';
import { CLAIRE, CLAIRE_PROFILE, stepIndex } from '../helpers/journey.js';
import {
  asEvent,
  asInteraction,
  asSlashCommand,
  signSlackRequest,
  slackFixture,
} from '../helpers/slack-fixtures.js';
import { postSlack, SIGNING_SECRET, SlackUser, slackEnv } from '../helpers/slack-user.js';

let fake: FakeSlack;
let app: App;
let nextUser = 1;

beforeAll(async () => {
  // Slack allows about one message a second per conversation: a scripted onboarding would take
  // minutes, so both sides allow more here (the limit itself is tested below with the real one).
  fake = await startFakeSlack({ perChannelRate: 50, perChannelBurst: 5 });
  app = await startTestApp(slackEnv(fake));
});
afterAll(async () => {
  await fake.close();
});

const conn = () => app.db.connection;
const newMentor = () => new SlackUser(fake, app, `U0MENTOR${String(nextUser++).padStart(3, '0')}`);

async function personOf(userId: string) {
  const identity = await identityModel(conn()).findById(`slack|${userId}`).lean();
  if (!identity) return undefined;
  return personModel(conn()).findById(identity.personId).lean();
}

async function playClaire(user: SlackUser, until = 'end') {
  for (const [name, input] of CLAIRE.slice(0, stepIndex(CLAIRE, until))) {
    const replies = typeof input === 'string' ? await user.say(input) : await user.click(input.press);
    expect(replies.length, `no reply to step ${name}:\n${user.transcript()}`).toBeGreaterThan(0);
  }
}

/** The buttons still on a message. */
const buttonsOf = (blocks: Array<{ type: string }> | undefined) =>
  (blocks ?? []).filter((b) => b.type === 'actions');

describe('Slack: a reply in a thread', () => {
  it('is answered in that thread; a message outside it, outside', async () => {
    const user = newMentor();
    const welcome = await user.say('Bonjour');
    const question = welcome.at(-1);
    expect(buttonsOf(question?.blocks)).not.toEqual([]);
    expect(welcome.every((m) => m.thread_ts === undefined)).toBe(true);
    // The mentor answers the consent question in its thread, by typing.
    const inThread = await user.say("j'accepte", question?.ts);
    expect(inThread.length).toBeGreaterThan(0);
    expect(inThread.map((m) => m.thread_ts)).toEqual(inThread.map(() => question?.ts));
    expect(inThread.map((m) => m.text).join('\n')).toMatch(/Comment vous appelez-vous/);
    // Back in the conversation itself: answered there.
    const outside = await user.say('Claire');
    expect(outside.length).toBeGreaterThan(0);
    expect(outside.map((m) => m.thread_ts)).toEqual(outside.map(() => undefined));
  });

  it('keeps no thread for the messages sent later on their own, even from a first message in one', async () => {
    const user = newMentor();
    // A message of the hub's reaches the mentor before they ever wrote; they answer in its thread.
    const ref = {
      conversation: { id: user.channel, isGroup: false, conversationType: 'personal', name: '' },
    };
    const [posted] =
      (await app.slack?.outbound.send(ref, [text('Le hub vous invite à devenir mentor.')])) ?? [];
    const replies = await user.say('Bonjour', posted?.id);
    expect(replies.length).toBeGreaterThan(0);
    expect(replies.map((m) => m.thread_ts)).toEqual(replies.map(() => posted?.id));
    // A message sent later on its own goes to the conversation itself.
    const identity = await identityModel(conn()).findById(`slack|${user.userId}`).lean();
    const before = fake.messages(user.channel).length;
    expect(await app.bot.proactive.send(identity?.personId ?? '', [text('Une nouvelle proposition')])).toBe(
      'sent',
    );
    const later = fake.messages(user.channel).slice(before);
    expect(later.map((m) => [m.text, m.thread_ts])).toEqual([['Une nouvelle proposition', undefined]]);
  });

  it('answers a click on a message that has a thread under it outside the thread', async () => {
    const user = newMentor();
    await playClaire(user, 'sectors');
    const sectors = fake.lastMessage(user.channel);
    // Another sector tapped on the question itself, on its buttons as they were…
    const payload = user.clickPayload('Industrie');
    // …after one typed in its thread (the question comes again there), before its buttons came off.
    await user.say('services', sectors?.ts);
    // What Slack sends for a message that has a thread under it: its own ts as thread_ts.
    Object.assign(payload.container ?? {}, { thread_ts: sectors?.ts });
    Object.assign(payload.message ?? {}, { thread_ts: sectors?.ts });
    const replies = await user.deliver(asInteraction(payload), 'application/x-www-form-urlencoded');
    expect(replies.length).toBeGreaterThan(0);
    expect(replies.map((m) => m.thread_ts)).toEqual(replies.map(() => undefined));
  });

  it('answers a reply in a thread also sent to the conversation in its thread', async () => {
    const user = newMentor();
    const question = (await user.say('Bonjour')).at(-1);
    const event = user.messageEvent("j'accepte", question?.ts);
    Object.assign(event.event, { subtype: 'thread_broadcast' });
    const replies = await user.deliver(asEvent(event), 'application/json');
    expect(replies.map((m) => m.text).join('\n')).toMatch(/Comment vous appelez-vous/);
    expect(replies.map((m) => m.thread_ts)).toEqual(replies.map(() => question?.ts));
  });

  it('answers a click on a question asked in a thread in that thread', async () => {
    const user = newMentor();
    await playClaire(user, 'sectors');
    // The sectors question is answered in a thread of its own: the next one comes there, with buttons.
    const sectors = fake.lastMessage(user.channel);
    const more = await user.say('services', sectors?.ts);
    expect(more.at(-1)?.thread_ts).toBe(sectors?.ts);
    expect(buttonsOf(more.at(-1)?.blocks)).not.toEqual([]);
    const done = await user.click("C'est tout");
    expect(done.length).toBeGreaterThan(0);
    expect(done.map((m) => m.thread_ts)).toEqual(done.map(() => sectors?.ts));
  });
});

describe('Slack: the mentor onboarding', () => {
  it('is done whole in the direct message, with buttons and typing', async () => {
    const user = newMentor();
    await playClaire(user);
    const person = await personOf(user.userId);
    expect(person?.role).toBe('mentor');
    expect(person?.status).toBe('active');
    expect(person?.profile).toEqual(CLAIRE_PROFILE);
    // Every question answered with a button shows the choice instead of its buttons.
    const messages = fake.messages(user.channel);
    expect(messages.filter((m) => buttonsOf(m.blocks).length > 0)).toEqual([]);
    // The question stays readable above the choice made.
    const consent = messages.find((m) => JSON.stringify(m.blocks).includes("✓ J'accepte"));
    expect(JSON.stringify(consent?.blocks)).toContain('Acceptez-vous');
    expect(consent?.text).toContain('Acceptez-vous');
    expect(fake.callsOf('chat.postMessage').every((c) => c.ok)).toBe(true);
  });

  it('escapes mrkdwn: a bio with a mention and a link is shown as typed', async () => {
    const user = newMentor();
    await playClaire(user, 'bio');
    await user.say('Je relis vos CV <!channel> & <https://evil.example|cliquez> *gras*');
    const summary = await user.say('oui');
    const shown = JSON.stringify(summary.map((m) => m.blocks));
    // Slack sent a link as <url|label>: the label is kept, the mention kept as a plain word
    // (stored so, it shows as typed on every channel), never live.
    expect(shown).toContain('Je relis vos CV @channel &amp; cliquez *gras*');
    expect(shown).not.toContain('<!channel>');
    expect(shown).not.toContain('<https');
  });
});

describe('Slack: requests', () => {
  beforeEach(() => fake.reset());

  it('answers the URL verification with its challenge', async () => {
    const body = JSON.stringify(
      slackFixture('url_verification', {
        challenge: 'défi-3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P',
      }),
    );
    const res = await postSlack(app, body, 'application/json');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      challenge: 'défi-3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P',
    });
  });

  it('refuses a bad signature, an altered body and a stale timestamp with 401, storing nothing', async () => {
    const user = newMentor();
    const event = user.messageEvent('Bonjour');
    const body = asEvent(event);
    const good = signSlackRequest(body, SIGNING_SECRET);
    const attempts = [
      signSlackRequest(body, 'not-the-signing-secret-0123456789'),
      good,
      signSlackRequest(body, SIGNING_SECRET, Math.floor(Date.now() / 1000) - 6 * 60),
      {},
    ];
    const bodies = [body, body.replace('Bonjour', 'Bonsoir'), body, body];
    for (const [i, headers] of attempts.entries()) {
      const res = await postSlack(app, bodies[i] ?? body, 'application/json', headers);
      expect(res.status, `attempt ${i}`).toBe(401);
    }
    await app.slack?.settled();
    expect(await inboundMarkModel(conn()).countDocuments({ _id: `slack|${event.event_id}` })).toBe(0);
    expect(await personOf(user.userId)).toBeUndefined();
    expect(fake.callsOf('chat.postMessage')).toEqual([]);
  });

  it('processes a retried event once', async () => {
    const user = newMentor();
    const body = asEvent(user.messageEvent('Bonjour'));
    expect((await postSlack(app, body, 'application/json')).status).toBe(200);
    const retry = {
      ...signSlackRequest(body, SIGNING_SECRET),
      'x-slack-retry-num': '1',
      'x-slack-retry-reason': 'http_timeout',
    };
    expect((await postSlack(app, body, 'application/json', retry)).status).toBe(200);
    await app.slack?.settled();
    // One turn, one message: a second turn would have added another (not a welcome, but a re-ask).
    expect(fake.messages(user.channel).filter((m) => /Bienvenue/.test(m.text))).toHaveLength(1);
    expect(fake.messages(user.channel)).toHaveLength(1);
  });

  it('acknowledges within 3 seconds, even when the turn takes longer', async () => {
    const user = newMentor();
    fake.delayNext('chat.postMessage', 4000);
    const started = Date.now();
    const res = await postSlack(app, asEvent(user.messageEvent('Bonjour')), 'application/json');
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(3000);
    await app.slack?.settled();
    expect(Date.now() - started).toBeGreaterThanOrEqual(4000);
    expect(
      fake
        .messages(user.channel)
        .map((m) => m.text)
        .join('\n'),
    ).toMatch(/Bienvenue/);
  });

  it('answers /tandem within 3 seconds while the App Home is published after', async () => {
    const user = newMentor();
    await playClaire(user);
    fake.delayNext('views.publish', 4000);
    const fields = slackFixture('slash_command', { userId: user.userId, text: 'pause' });
    const started = Date.now();
    const res = await postSlack(app, asSlashCommand(fields as never), 'application/x-www-form-urlencoded');
    expect(Date.now() - started).toBeLessThan(3000);
    expect(((await res.json()) as { text: string }).text).toMatch(/en pause/);
    await app.slack?.settled();
    expect(fake.callsOf('views.publish').some((c) => c.at >= started)).toBe(true);
    expect(await user.command('reprendre')).toMatch(/de nouveau/);
  });

  it('takes a double click once, and tells the second click privately', async () => {
    const user = newMentor();
    await user.say('Bonjour');
    const payload = asInteraction(user.clickPayload("J'accepte"));
    const before = fake.messages(user.channel).length;
    const answers = await Promise.all([
      postSlack(app, payload, 'application/x-www-form-urlencoded'),
      postSlack(app, payload, 'application/x-www-form-urlencoded'),
    ]);
    expect(answers.map((r) => r.status)).toEqual([200, 200]);
    await app.slack?.settled();
    const replies = fake.messages(user.channel).slice(before);
    expect(replies.filter((m) => /prénom/i.test(m.text))).toHaveLength(1);
    expect(fake.ephemerals(user.channel).map((e) => e.text)).toEqual(['Déjà pris en compte.']);
  });

  it('takes two options of a multi-select clicked one right after the other, and a double click of one once', async () => {
    const user = newMentor();
    await playClaire(user, 'sectors');
    const numerique = asInteraction(user.clickPayload('Numérique'));
    const commerce = asInteraction(user.clickPayload('Commerce'));
    const answers = await Promise.all(
      [numerique, numerique, commerce].map((p) => postSlack(app, p, 'application/x-www-form-urlencoded')),
    );
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200]);
    await app.slack?.settled();
    expect(fake.ephemerals(user.channel).map((e) => e.text)).toEqual(['Déjà pris en compte.']);
    const last = fake.messages(user.channel).at(-1)?.text ?? '';
    expect(last).toMatch(/Votre sélection : (Numérique, Commerce|Commerce, Numérique)\./);
  });

  it('answers a click on a past question privately and changes nothing', async () => {
    const user = newMentor();
    await user.say('Bonjour');
    const old = asInteraction(user.clickPayload("J'accepte"));
    await user.say("j'accepte");
    const before = fake.messages(user.channel).length;
    await postSlack(app, old, 'application/x-www-form-urlencoded');
    await app.slack?.settled();
    expect(fake.messages(user.channel).length).toBe(before);
    expect(fake.ephemerals(user.channel).map((e) => e.text)[0]).toMatch(/déjà passée/);
  });

  it('retries a 429 after Retry-After, then delivers', async () => {
    const user = newMentor();
    fake.failNext('chat.postMessage', 1, { status: 429, error: 'ratelimited', retryAfter: 1 });
    const replies = await user.say('Bonjour');
    expect(replies.map((m) => m.text).join('\n')).toMatch(/Bienvenue/);
    const posts = fake.callsOf('chat.postMessage');
    expect(posts.map((c) => c.status)).toEqual([429, 200]);
    expect((posts[1]?.at ?? 0) - (posts[0]?.at ?? 0)).toBeGreaterThanOrEqual(950);
  });
});

describe('Slack: App Home and /tandem', () => {
  let user: SlackUser;

  beforeAll(async () => {
    user = newMentor();
    await playClaire(user);
  });

  /** Whether this process's mentor index has the mentor paused (undefined: not in it). */
  const pausedInIndex = async () => {
    const id = (await personOf(user.userId))?._id;
    return (await app.bot.services.candidates.mentorIndex()).mentors.find((m) => m.id === id)?.paused;
  };

  const homeAction = (actionId: string) =>
    asInteraction(slackFixture('block_actions_home', { userId: user.userId, actionId, value: actionId }));
  const homeText = () => JSON.stringify(fake.home(user.userId)?.blocks ?? []);

  it('shows the profile and status, and pauses and resumes the mentor', async () => {
    await postSlack(
      app,
      asEvent(slackFixture('app_home_opened', { userId: user.userId })),
      'application/json',
    );
    await app.slack?.settled();
    expect(homeText()).toContain('Actif');
    expect(homeText()).toContain('Directrice des ressources humaines');
    expect(homeText()).toContain('2 personnes à la fois');

    expect(await pausedInIndex()).toBe(false);
    await postSlack(app, homeAction('home_pause'), 'application/x-www-form-urlencoded');
    await app.slack?.settled();
    expect((await personOf(user.userId))?.status).toBe('paused');
    // The rankings of this process know it at once, not at their next rebuild.
    expect(await pausedInIndex()).toBe(true);
    expect(homeText()).toContain('En pause');
    expect(homeText()).toContain('home_resume');

    await postSlack(app, homeAction('home_resume'), 'application/x-www-form-urlencoded');
    await app.slack?.settled();
    expect((await personOf(user.userId))?.status).toBe('active');
    expect(await pausedInIndex()).toBe(false);
    expect(homeText()).toContain('Actif');
  });

  it('opens the profile summary in the direct message from "Modifier mon profil"', async () => {
    const before = fake.messages(user.channel).length;
    await postSlack(app, homeAction('home_edit'), 'application/x-www-form-urlencoded');
    await app.slack?.settled();
    const summary = fake.messages(user.channel).slice(before);
    expect(summary.map((m) => m.text).join('\n')).toContain('Acme Provence');
    await user.click('Modifier');
    await user.click('Capacité');
    await user.say('3');
    await user.click("C'est correct");
    expect((await personOf(user.userId))?.profile.capacity).toBe('3');
  });

  it('answers /tandem statut, pause, reprendre, profil and aide', async () => {
    expect(await user.command('statut')).toMatch(/Actif/);
    expect(await pausedInIndex()).toBe(false);
    expect(await user.command('pause')).toMatch(/en pause/);
    expect((await personOf(user.userId))?.status).toBe('paused');
    expect(await pausedInIndex()).toBe(true);
    expect(await user.command('reprendre')).toMatch(/de nouveau/);
    expect((await personOf(user.userId))?.status).toBe('active');
    expect(await pausedInIndex()).toBe(false);
    expect(await user.command('profil')).toContain('Acme Provence');
    expect(await user.command('aide')).toContain('/tandem pause');
    expect(await user.command('')).toContain('/tandem statut');
    const newcomer = newMentor();
    expect(await newcomer.command('pause')).toMatch(/pas encore complet/);
  });

  it('lists the current mentees and shows the mentor full when they fill the capacity', async () => {
    const mentor = await personOf(user.userId);
    const capacity = Number(mentor?.profile.capacity);
    const { proposals } = app.bot.services;
    for (let i = 0; i < capacity; i++) {
      const menteeId = `mentee-of-claire-${i}`;
      await personModel(conn()).create({
        _id: menteeId,
        role: 'mentee',
        status: 'active',
        locale: 'fr',
        profile: { firstName: `Léa${i}` },
      });
      const p = await proposals.propose({ menteeId, mentorId: mentor?._id ?? '', score: 1, reasons: [] });
      await proposals.menteeDecides(p?._id ?? '', 'interested', 3600_000);
      expect((await proposals.mentorAccepts(p?._id ?? '', capacity)).kind).toBe('matched');
    }
    await postSlack(
      app,
      asEvent(slackFixture('app_home_opened', { userId: user.userId, eventId: 'EvHOMEFULL01' })),
      'application/json',
    );
    await app.slack?.settled();
    expect(homeText()).toContain('Complet');
    for (let i = 0; i < capacity; i++) expect(homeText()).toContain(`Léa${i}`);
    expect(await user.command('statut')).toMatch(/Complet/);
  });
});
