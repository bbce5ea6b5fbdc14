import { describe, expect, it } from 'vitest';
import { createI18n } from '../../bot/i18n.js';
import { makeTestBot } from '../helpers/bot.js';
import { useTestDb } from '../helpers/db.js';
import { CLAIRE, LEA, play } from '../helpers/journey.js';

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
});
