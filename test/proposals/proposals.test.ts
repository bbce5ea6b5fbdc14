import { beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../bot/db/database.js';
import { ProposalService } from '../../bot/services/proposals.js';
import { matchModel } from '../../models/match.js';
import { useTestDb } from '../helpers/db.js';

let db: Database;
let proposals: ProposalService;
let n = 0;
const DAY = 24 * 3600_000;

beforeAll(async () => {
  db = await useTestDb('proposals');
  proposals = new ProposalService(db.connection);
});

const ids = () => {
  n++;
  return { mentee: `mentee-${n}`, mentor: `mentor-${n}` };
};

/** A proposal the mentee has asked for: the mentor's turn to answer. */
async function requested(menteeId: string, mentorId: string) {
  const p = await proposals.propose({
    menteeId,
    mentorId,
    score: 0.8,
    reasons: [{ key: 'matching:reason.near' }],
  });
  if (!p) throw new Error('not proposed');
  expect(await proposals.menteeDecides(p._id, 'interested', 3 * DAY)).toBe(true);
  return p;
}

describe('proposals and matches', () => {
  it('never proposes the same pair twice, even after a pass', async () => {
    const { mentee, mentor } = ids();
    const p = await proposals.propose({ menteeId: mentee, mentorId: mentor, score: 1, reasons: [] });
    expect(p?.status).toBe('proposed');
    expect(await proposals.menteeDecides(p?._id ?? '', 'passed', DAY)).toBe(true);
    expect(
      await proposals.propose({ menteeId: mentee, mentorId: mentor, score: 1, reasons: [] }),
    ).toBeUndefined();
    expect((await proposals.get(p?._id ?? ''))?.status).toBe('mentee_passed');
  });

  it('starts the deadline when the mentee is interested, with a reminder at two thirds', async () => {
    let now = Date.parse('2026-11-27T09:00:00Z');
    const clocked = new ProposalService(db.connection, () => now);
    const { mentee, mentor } = ids();
    const p = await clocked.propose({ menteeId: mentee, mentorId: mentor, score: 1, reasons: [] });
    await clocked.menteeDecides(p?._id ?? '', 'interested', 72 * 3600_000);
    const stored = await clocked.get(p?._id ?? '');
    expect(stored?.deadline?.toISOString()).toBe('2026-11-30T09:00:00.000Z');
    expect(stored?.remindAt?.toISOString()).toBe('2026-11-29T09:00:00.000Z');
    expect((await clocked.due()).map((d) => d._id)).not.toContain(p?._id);
    now += 72 * 3600_000;
    expect((await clocked.due()).map((d) => d._id)).toContain(p?._id);
    expect(await clocked.mentorDecides(p?._id ?? '', 'expired')).toBe('won');
    await clocked.settle(p?._id ?? '', 'expired');
    // An expiry counts as an answer at the deadline (the mentor's responsiveness).
    expect((await clocked.get(p?._id ?? ''))?.answeredAt?.toISOString()).toBe('2026-11-30T09:00:00.000Z');
    expect(await clocked.mentorAccepts(p?._id ?? '', 2)).toEqual({ kind: 'decided', by: 'expired' });
  });

  it('makes one match of a double click', async () => {
    const { mentee, mentor } = ids();
    const p = await requested(mentee, mentor);
    const outcomes = await Promise.all([
      proposals.mentorAccepts(p._id, 2),
      proposals.mentorAccepts(p._id, 2),
    ]);
    expect(outcomes.map((o) => o.kind).sort()).toEqual(['decided', 'matched']);
    expect(await matchModel(db.connection).countDocuments({ mentorId: mentor })).toBe(1);
  });

  it('never exceeds a capacity: two acceptances at once for one last place make one match', async () => {
    for (let round = 0; round < 5; round++) {
      const mentor = `mentor-cap-${round}`;
      const first = await requested(`m-a-${round}`, mentor);
      const second = await requested(`m-b-${round}`, mentor);
      const outcomes = await Promise.all([
        proposals.mentorAccepts(first._id, 1),
        proposals.mentorAccepts(second._id, 1),
      ]);
      expect(outcomes.map((o) => o.kind).sort(), `round ${round}`).toEqual(['full', 'matched']);
      expect((await proposals.activeMatches(mentor)).length).toBe(1);
    }
  });

  it('lets an acceptance and the deadline race: exactly one wins', async () => {
    for (let round = 0; round < 5; round++) {
      const { mentee, mentor } = ids();
      const p = await requested(mentee, mentor);
      const [accepted, expired] = await Promise.all([
        proposals.mentorAccepts(p._id, 3),
        proposals.mentorDecides(p._id, 'expired'),
      ]);
      expect(accepted.kind === 'matched').toBe(expired !== 'won');
    }
  });

  it('gives a mentee one active match; ending it frees the seat and the mentee', async () => {
    const mentee = `mentee-one-${n++}`;
    const a = await requested(mentee, 'mentor-x1');
    const b = await requested(mentee, 'mentor-x2');
    expect((await proposals.mentorAccepts(a._id, 1)).kind).toBe('matched');
    expect((await proposals.mentorAccepts(b._id, 1)).kind).toBe('mentee_taken');
    expect((await proposals.activeMatches('mentor-x2')).length).toBe(0);
    await proposals.endMatch(a._id, 'job');
    const c = await requested(`mentee-two-${n++}`, 'mentor-x1');
    expect((await proposals.mentorAccepts(c._id, 1)).kind).toBe('matched');
  });

  it('refuses an answer to a request the mentee never made, and any decision after a decision', async () => {
    const { mentee, mentor } = ids();
    const p = await proposals.propose({ menteeId: mentee, mentorId: mentor, score: 1, reasons: [] });
    expect(await proposals.mentorAccepts(p?._id ?? '', 2)).toEqual({ kind: 'not_requested' });
    await proposals.menteeDecides(p?._id ?? '', 'interested', DAY);
    const id = p?._id ?? '';
    expect(await proposals.mentorDecides(id, 'declined')).toBe('won');
    // Decided, its follow-ups not done yet (as after a crash): the same decision may finish them.
    expect(await proposals.mentorDecides(id, 'declined')).toBe('unfinished');
    expect(await proposals.mentorDecides(id, 'expired')).toBe('lost');
    await proposals.settle(id, 'declined');
    expect(await proposals.mentorDecides(id, 'declined')).toBe('lost');
    expect(await proposals.mentorAccepts(id, 2)).toEqual({ kind: 'decided', by: 'declined' });
    expect(await proposals.declineReason(p?._id ?? '', 'not_available')).toBe(true);
    expect(await proposals.declineReason(p?._id ?? '', 'other')).toBe(false);
    const declined = await proposals.get(p?._id ?? '');
    expect(declined?.declineReason).toBe('not_available');
    expect(declined?.answeredAt).toBeInstanceOf(Date);
  });
});
