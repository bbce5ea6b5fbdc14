import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppendLog } from '../../bot/db/append-log.js';
import { makeTestBot, type TestBot } from '../helpers/bot.js';
import { monitoredConnection, type SeenCommand } from '../helpers/db.js';
import { CLAIRE, LEA, play, send } from '../helpers/journey.js';

/**
 * What a mentee's onboarding asks of the database, turn by turn, on a connection that records every
 * command: the per-turn cost the turns benchmark pays 17 times per user.
 */
describe('the database commands of an onboarding', () => {
  let commands: SeenCommand[];
  let close: () => Promise<void>;
  let t: TestBot;
  const perStep = new Map<string, SeenCommand[]>();

  beforeAll(async () => {
    const monitored = await monitoredConnection('turn_commands');
    ({ commands, close } = monitored);
    // A clock that stands still: the mentor index built by the first ranking stays fresh (5 minutes
    // on a real clock), so no background rebuild reads whole collections during Léa's turns.
    const now = Date.parse('2026-11-27T09:00:00Z');
    t = makeTestBot(monitored.conn, 'test', { now: () => now });
    // Nobody is a mentor here: Léa's onboarding ends with "nobody yet", as in the benchmark. A first
    // mentee goes before her: the process's first ranking builds the mentor index (the reads of
    // whole collections, in the background afterwards, at most every 5 minutes).
    for (const [, input] of LEA) await send(t, 'first', input);
    for (const [name, input] of LEA) {
      commands.length = 0;
      await send(t, 'lea', input);
      // A log's head and pruning go on after the turn: they count in the step that wrote them.
      await AppendLog.settled();
      perStep.set(name, [...commands]);
    }
  });
  afterAll(() => close());

  const show = (list: SeenCommand[]) => list.map((c) => `${c.name} ${c.collection} {${c.filter}}`);

  it('reads nothing but by _id', () => {
    const reads = [...perStep.values()].flat().filter((c) => ['find', 'count', 'aggregate'].includes(c.name));
    expect(show(reads.filter((c) => c.filter !== '_id'))).toEqual([]);
  });

  it('a question answered costs the dedupe mark, the person and the new state, nothing else', () => {
    for (const step of ['firstName', 'situation', 'goal', 'commune', 'format']) {
      const sent = show(perStep.get(step) ?? []).sort();
      expect(sent, step).toEqual(['find people {_id}', 'insert bot_state {}', 'insert inbound_marks {}']);
    }
  });

  it('reads the person while the dedupe mark is on its way: one round trip for both', () => {
    for (const step of ['firstName', 'situation', 'goal', 'commune', 'format']) {
      const list = perStep.get(step) ?? [];
      const markSent = list.find((c) => c.collection === 'inbound_marks');
      const read = list.find((c) => c.name === 'find' && c.collection === 'people');
      // Each is sent before the other is answered.
      expect(read?.sent, step).toBeLessThan(markSent?.answered ?? 0);
      expect(markSent?.sent, step).toBeLessThan(read?.answered ?? 0);
    }
  });

  it('with nobody to propose, the last turn claims nothing and reads no cohort plan', () => {
    const sent = show(perStep.get('charter') ?? []);
    expect(sent.filter((c) => /claims|cohort_plans/.test(c))).toEqual([]);
    // The charter's consent, the person active, the staff alert, the state: and the mark, the person.
    expect(sent.filter((c) => c.startsWith('insert')).sort()).toEqual([
      'insert alerts {}',
      'insert bot_state {}',
      'insert consents {}',
      'insert inbound_marks {}',
    ]);
    // The decision's copy and the status it brings: one write of the person.
    expect(sent.filter((c) => c.startsWith('update people'))).toHaveLength(1);
  });

  it('the whole onboarding stays within its budget of commands', () => {
    // 17 turns: 13 plain answers at 3, the first contact 5, the two consents 5 and 8 (the charter's
    // search for a mentor reads the mentor index's shared version), the summary 6 (the profile, and
    // old states pruned), one log head. Measured on 2026-11-27: 64.
    const total = [...perStep.values()].reduce((n, list) => n + list.length, 0);
    expect(total).toBeLessThanOrEqual(64);
  });
});

describe("a returning mentee's next proposal", () => {
  it('reads their history with them, never the proposals by mentee (a scan on FerretDB)', async () => {
    const { conn, commands, close } = await monitoredConnection('turn_commands_next');
    try {
      const now = Date.parse('2026-11-27T09:00:00Z');
      const mentees = makeTestBot(conn, 'test', { now: () => now });
      const mentors = mentees.on('mentors', 'mentor');
      await play(mentors, 'claire', CLAIRE);
      await play(mentors, 'malik', CLAIRE);
      await mentees.bot.services.candidates.invalidate();
      const first = (await play(mentees, 'lea', LEA)).at(-1);
      commands.length = 0;
      const next = await mentees.press('lea', 'Voir un autre profil');
      // Another card: the same mentors' onboarding, so the same name; a different proposal.
      const card = next.at(-1);
      expect(card?.buttons.map((b) => b.title)).toContain("Ça m'intéresse");
      expect(JSON.stringify(card?.buttons)).not.toEqual(JSON.stringify(first?.buttons));
      const reads = commands.filter((c) => c.collection === 'proposals' && c.name === 'find');
      expect(reads.length).toBeGreaterThan(0);
      expect(reads.filter((c) => c.filter !== '_id')).toEqual([]);
    } finally {
      await close();
    }
  });
});
