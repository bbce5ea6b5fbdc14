import { describe, expect, it } from 'vitest';
import { createI18n } from '../../bot/i18n.js';
import { makeTestBot, toReply } from '../helpers/bot.js';
import { useTestDb } from '../helpers/db.js';
import { CLAIRE, LEA, personOf, play } from '../helpers/journey.js';

const fr = createI18n().getFixedT('fr');

/**
 * Each process keeps its mentor index for minutes (a rebuild reads whole collections on FerretDB);
 * a mentor who becomes available through this process must not wait for that.
 */
describe('the mentor index of a process', () => {
  it('knows a mentor as soon as their onboarding ends here', async () => {
    const db = await useTestDb('index_freshness');
    const mentees = makeTestBot(db.connection, 'test');
    const mentors = mentees.on('mentors', 'mentor');
    // The index is built by the first ranking, with nobody in it.
    const before = (await play(mentees, 'first', LEA)).at(-1);
    expect(before?.text).toBe(fr('proposals:mentee.nobody_yet'));
    await play(mentors, 'claire', CLAIRE);
    const after = (await play(mentees, 'second', LEA)).at(-1);
    expect(after?.text).toMatch(/^Claire · /);
    expect(after?.buttons.map((b) => b.title)).toContain("Ça m'intéresse");
  });

  it('knows at once that a mentor said "stop" here, and "reprendre"', async () => {
    const db = await useTestDb('index_freshness_stop');
    const mentees = makeTestBot(db.connection, 'test');
    const mentors = mentees.on('mentors', 'mentor');
    await play(mentors, 'claire', CLAIRE);
    const { candidates } = mentees.bot.services;
    const claire = (await personOf(mentors, db.connection, 'claire'))._id;
    const paused = async () => (await candidates.mentorIndex()).mentors.find((m) => m.id === claire)?.paused;
    expect(await paused()).toBe(false);
    await mentors.say('claire', 'stop');
    expect(await paused()).toBe(true);
    await mentors.say('claire', 'reprendre');
    expect(await paused()).toBe(false);
  });

  it('sees a place free again as soon as the mentor declines here', async () => {
    const db = await useTestDb('index_freshness_decline');
    const mentees = makeTestBot(db.connection, 'test');
    const mentors = mentees.on('mentors', 'mentor');
    await play(mentors, 'claire', CLAIRE);
    const { candidates, outbox } = mentees.bot.services;
    const claire = (await personOf(mentors, db.connection, 'claire'))._id;
    const held = async () =>
      (await candidates.mentorIndex()).mentors.find((m) => m.id === claire)?.activeMentees;
    await play(mentees, 'lea', LEA);
    await mentees.press('lea', "Ça m'intéresse");
    await outbox.idle();
    // An index built while the request waits counts it as a place taken.
    await candidates.invalidate();
    expect(await held()).toBe(1);
    const request = (mentors.channel.sent.get('conv-claire') ?? []).map((a) => toReply(a)).at(-1);
    const decline = request?.buttons.find((b) => b.title === 'Je décline');
    if (!decline) throw new Error(`no request card: ${JSON.stringify(request)}`);
    await mentors.say('claire', decline.value);
    expect(await held()).toBe(0);
  });
});
