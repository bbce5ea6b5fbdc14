import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Database } from '../../bot/db/database.js';
import { createI18n } from '../../bot/i18n.js';
import { personModel } from '../../models/person.js';
import { makeTestBot, type TestBot, texts } from '../helpers/bot.js';
import { freshDbUri, monitoredConnection, silentLog } from '../helpers/db.js';
import { LEA, personOf, play } from '../helpers/journey.js';

const en = createI18n().getFixedT('en');

/** The answer to the situation, in English: the next question, or the same one again. */
const expectEnglish = (reply: string) =>
  expect([en('onboarding:ask.goal'), en('onboarding:ask.situation')].some((q) => reply.includes(q))).toBe(
    true,
  );

/**
 * A turn takes the person this process kept from an earlier turn instead of reading them. A change
 * made outside their turns, here or in another process, must still reach their next turn.
 */
describe('the person kept between turns', () => {
  let here: Database;
  let elsewhere: Database;
  let a: TestBot;

  beforeAll(async () => {
    const uri = freshDbUri('person_kept');
    // Two connections, as two processes have: no write notice passes between them.
    here = await Database.connect(uri, silentLog);
    elsewhere = await Database.connect(uri, silentLog);
    a = makeTestBot(here.connection);
  });
  afterAll(async () => {
    await here.connection.dropDatabase().catch(() => {});
    await here.close();
    await elsewhere.close();
  });

  /** Léa's onboarding up to her first name, then her language changed by `write`. */
  const changedBetweenTurns = async (user: string, write: (personId: string) => Promise<unknown>) => {
    await play(a, user, LEA, { until: 'situation' });
    await write((await personOf(a, here.connection, user))._id);
    // The next question is asked in the language the person has now.
    return texts(await a.say(user, "demandeuse d'emploi"));
  };

  it('a change made in this process outside her turns is in her next turn', async () => {
    const reply = await changedBetweenTurns('here', (id) =>
      personModel(here.connection).updateOne({ _id: id }, { $set: { locale: 'en' } }),
    );
    expectEnglish(reply);
  });

  it('a change made in another process is in her next turn (her turn runs again on a fresh read)', async () => {
    // A turn of hers first, so that this process keeps her as she was.
    // That process runs a bot of its own, whose writes move her state log on.
    makeTestBot(elsewhere.connection);
    const reply = await changedBetweenTurns('elsewhere', (id) =>
      personModel(elsewhere.connection).updateOne({ _id: id }, { $set: { locale: 'en' } }),
    );
    expectEnglish(reply);
  });

  it('a question answered reads nothing but what it must: the person is kept', async () => {
    const { conn, commands, close } = await monitoredConnection('person_kept_reads');
    try {
      const t = makeTestBot(conn);
      await play(t, 'counted', LEA, { until: 'goal' });
      commands.length = 0;
      await t.say('counted', 'Trouver un emploi salarié');
      expect(commands.filter((c) => c.collection === 'people')).toEqual([]);
    } finally {
      await close();
    }
  });
});
