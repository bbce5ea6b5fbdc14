import { beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../bot/db/database.js';
import { Database as Db } from '../../bot/db/database.js';
import { MongoStorage } from '../../bot/db/mongo-storage.js';
import { identityId, identityModel } from '../../models/identity.js';
import { makeTestBot, type TestBot, texts } from '../helpers/bot.js';
import { freshDbUri, silentLog } from '../helpers/db.js';

/**
 * Two bots on two connections to one database stand for two processes: each has its own engine,
 * queue and caches, and shares only MongoDB.
 */
let a: TestBot;
let b: TestBot;
let dbA: Database;

beforeAll(async () => {
  const uri = freshDbUri('serial');
  dbA = await Db.connect(uri, silentLog);
  const dbB = await Db.connect(uri, silentLog);
  a = makeTestBot(dbA.connection);
  b = makeTestBot(dbB.connection);
  return async () => {
    await dbA.connection.dropDatabase();
    await dbA.close();
    await dbB.close();
  };
});

async function personOf(db: Database, user: string): Promise<string> {
  const identity = await identityModel(db.connection).findById(identityId('test', user)).lean();
  return identity?.personId ?? '';
}

async function toSectors(user: string) {
  await a.say(user, 'Bonjour');
  await a.say(user, 'oui');
  await a.say(user, '18-25');
  await a.say(user, 'Léa');
  await a.say(user, 'étudiante');
  const r = await a.say(user, 'emploi');
  expect(texts(r)).toMatch(/quels secteurs/);
}

describe('one turn at a time per person, across processes', () => {
  it('keeps both answers when two processes take a message of the same person at the same moment', async () => {
    for (let i = 0; i < 5; i++) {
      const user = `pair-${i}`;
      await toSectors(user);
      await Promise.all([a.say(user, 'numérique'), b.say(user, 'commerce')]);
      const next = texts(await a.say(user, 'santé'));
      // All three picks are kept (max 3), so the questionnaire moved on to the commune.
      expect(next).toMatch(/quelle commune/);
      const summaryPath = await a.say(user, 'Marseille');
      expect(texts(summaryPath)).toMatch(/Quand êtes-vous disponible/);
    }
  });

  it("keeps what a link code's arrival said when its turn runs again after another process's save", async () => {
    const user = 'linker';
    await toSectors(user);
    const personId = await personOf(dbA, user);
    // a's cached state of the person (trusted 5 s, far more than these turns take) is now a
    // revision behind b's: a's next turn for them conflicts and runs again.
    await b.say(user, 'numérique');
    const { code } = await a.bot.services.links.create(personId);
    const replies = await a
      .on('test2', 'mentee')
      .say('linker-elsewhere', { type: 'event', name: 'start', value: { link: code }, text: '' });
    const said = texts(replies);
    expect(said).toMatch(/Vous voilà/);
    // The question they are at, with b's answer kept: their first pick is shown.
    expect(said).toMatch(/secteurs/);
  });

  it("keeps what a link code's arrival said when the dialogs then fail", async () => {
    const user = 'linker-failing';
    await toSectors(user);
    const { code } = await a.bot.services.links.create(await personOf(dbA, user));
    const deps = (a.bot.engine as unknown as { deps: { conversation: { run(): Promise<void> } } }).deps;
    const run = deps.conversation.run;
    deps.conversation.run = async () => {
      throw new Error('the database went away');
    };
    try {
      const said = texts(
        await a
          .on('test3', 'mentee')
          .say('linker-failing-elsewhere', { type: 'event', name: 'start', value: { link: code }, text: '' }),
      );
      expect(said).toMatch(/Vous voilà/);
      expect(said).toMatch(/Un souci technique est survenu/);
    } finally {
      deps.conversation.run = run;
    }
  });

  it('resumes in the other process at the same step with the earlier answers', async () => {
    const user = 'mover';
    await toSectors(user);
    await a.say(user, 'numérique');
    const resumed = await b.say(user, "c'est tout");
    expect(texts(resumed)).toMatch(/quelle commune/);
  });

  it('restarts a dialog cleanly when the stored state is from an older version', async () => {
    const user = 'old-state';
    await toSectors(user);
    const storage = new MongoStorage(dbA.connection);
    const person = await personOf(dbA, user);
    const key = `person/${person}`;
    const stored = (await storage.read([key]))[key];
    expect(stored).toBeTruthy();
    await storage.write({
      [key]: {
        ...stored,
        meta: { version: 0 },
        dialogs: { dialogStack: [{ id: 'a-dialog-that-no-longer-exists', state: {} }] },
      },
    });
    const replies = texts(await b.say(user, 'numérique'));
    // Nothing to take from a stack this version does not know, and the profile is not saved
    // before the summary: the questions again, but not the consent, which is on record.
    expect(replies).toMatch(/mis à jour, et vos réponses en cours n'ont pas pu être gardées/);
    expect(replies).toMatch(/tranche d'âge/);
    expect(replies).not.toMatch(/Un souci technique|traitions vos données|Vos réponses sont conservées/);
  });

  /** Says the rest of the onboarding after the sectors, and returns the summary. */
  async function sectorsToSummary(user: string): Promise<string> {
    await b.say(user, 'numérique');
    await b.say(user, "c'est tout");
    await b.say(user, 'Marseille');
    await b.say(user, 'en semaine');
    await b.say(user, "c'est tout");
    await b.say(user, 'visio');
    await b.say(user, 'français');
    await b.say(user, "c'est tout");
    return texts(await b.say(user, 'Des conseils pour mon CV.'));
  }

  /** The stored state of `user`, changed by `change`, as a deploy would leave it. */
  async function storedAs(
    user: string,
    change: (stored: Record<string, unknown>) => Record<string, unknown>,
  ) {
    const storage = new MongoStorage(dbA.connection);
    const key = `person/${await personOf(dbA, user)}`;
    const stored = (await storage.read([key]))[key] as Record<string, unknown>;
    await storage.write({ [key]: change(stored) });
  }

  it('restarts a dialog whose stored state is of an older version, even with a stack it knows', async () => {
    const user = 'old-version';
    await toSectors(user);
    await storedAs(user, (stored) => ({ ...stored, meta: { version: 0 } }));
    const replies = texts(await b.say(user, 'numérique'));
    // The answers given before the update are kept: the question it stopped at is asked again.
    expect(replies).toMatch(/Tandem a été mis à jour. Vos réponses sont conservées/);
    expect(replies).toMatch(/quels secteurs/);
    expect(replies).not.toMatch(/traitions vos données|tranche d'âge/);
    const summary = await sectorsToSummary(user);
    expect(summary).toMatch(/Léa/);
    expect(summary).toMatch(/18 à 25 ans|18-25/);
    expect(summary).toMatch(/Étudiant/);
  });

  it('claims to keep nothing for someone who refused the consent, when it restarts an older state', async () => {
    const user = 'old-refusal';
    await a.say(user, 'Bonjour');
    expect(texts(await a.say(user, 'non'))).toMatch(/nous ne conservons rien/);
    await storedAs(user, (stored) => ({ ...stored, meta: { version: 0 } }));
    const replies = texts(await b.say(user, 'finalement je veux bien'));
    expect(replies).toMatch(/Tandem a été mis à jour : reprenons/);
    expect(replies).toMatch(/Acceptez-vous que nous traitions vos données/);
    expect(replies).not.toMatch(/conservées|gardées/);
  });

  it('keeps only the answers this version accepts when it restarts an older state', async () => {
    const user = 'old-answers';
    await toSectors(user);
    await storedAs(user, (stored) => {
      const dialogs = JSON.stringify(stored.dialogs)
        // A situation an older version offered, and this one no longer does.
        .replaceAll('"situation":"student"', '"situation":"astronaut"');
      expect(dialogs).toMatch(/astronaut/);
      return { ...stored, meta: { version: 0 }, dialogs: JSON.parse(dialogs) };
    });
    const replies = texts(await b.say(user, 'numérique'));
    expect(replies).toMatch(/Vos réponses sont conservées/);
    expect(replies).toMatch(/votre situation/);
    // The goal given before is still good: the sectors come next.
    expect(texts(await b.say(user, 'étudiante'))).toMatch(/quels secteurs/);
  });

  it('restarts a dialog stopped at a question this version no longer has, rather than fail each turn', async () => {
    const user = 'gone-question';
    await toSectors(user);
    await storedAs(user, (stored) => {
      const dialogs = structuredClone(stored.dialogs);
      // The question asked, deep in the stack of nested dialogs.
      const asks: Array<{ q?: string }> = [];
      const walk = (node: unknown): void => {
        if (!node || typeof node !== 'object') return;
        const entry = node as { id?: string; state?: { q?: string } };
        if (entry.id === 'ask' && entry.state) asks.push(entry.state);
        for (const value of Object.values(node)) walk(value);
      };
      walk(dialogs);
      expect(asks.map((a) => a.q)).toEqual(['sectors']);
      for (const a of asks) a.q = 'a_question_that_no_longer_exists';
      return { ...stored, dialogs };
    });
    const replies = texts(await b.say(user, 'numérique'));
    expect(replies).toMatch(/Tandem a été mis à jour. Vos réponses sont conservées/);
    expect(replies).toMatch(/quels secteurs/);
    expect(replies).not.toMatch(/Un souci technique|traitions vos données/);
    expect(await sectorsToSummary(user)).toMatch(/Léa/);
  });
});
