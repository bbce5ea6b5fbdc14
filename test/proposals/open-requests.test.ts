import type { Connection } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CandidateService } from '../../bot/services/candidates.js';
import { ProposalService, seatsTaken } from '../../bot/services/proposals.js';
import { openRequestModel } from '../../models/open-request.js';
import { proposalId, proposalModel } from '../../models/proposal.js';
import { monitoredConnection, type SeenCommand } from '../helpers/db.js';

const HOUR = 3600_000;
const T0 = Date.parse('2026-11-27T09:00:00Z');

/**
 * The requests waiting for a mentor are read from their own small set, checked against the
 * proposals; on a connection that counts the queries reaching the server.
 */
describe('the open requests', () => {
  let conn: Connection;
  let clock = T0;
  let commands: SeenCommand[];
  let close: () => Promise<void>;
  /** The queries sent since the test last emptied `commands`. */
  const finds = () => commands.filter((c) => ['find', 'count', 'aggregate'].includes(c.name));

  beforeAll(async () => {
    ({ conn, commands, close } = await monitoredConnection('open_requests'));
  });
  afterAll(() => close());

  async function request(service: ProposalService, mentee: string, mentor: string) {
    await service.propose({ menteeId: mentee, mentorId: mentor, score: 1, reasons: [] });
    await service.menteeDecides(proposalId(mentee, mentor), 'interested', 72 * HOUR);
    return proposalId(mentee, mentor);
  }

  it('finds the requests made before the set existed, then reads proposals by _id only', async () => {
    // Written as before the set existed: a request past its deadline, and many finished proposals.
    await proposalModel(conn).create({
      _id: proposalId('old-mentee', 'old-mentor'),
      menteeId: 'old-mentee',
      mentorId: 'old-mentor',
      score: 1,
      reasons: [],
      status: 'mentee_interested',
      createdAt: new Date(T0 - 80 * HOUR),
      requestedAt: new Date(T0 - 80 * HOUR),
      deadline: new Date(T0 - 8 * HOUR),
      remindAt: new Date(T0 - 32 * HOUR),
    });
    await proposalModel(conn).insertMany(
      Array.from({ length: 40 }, (_, i) => ({
        _id: proposalId(`done-${i}`, 'old-mentor'),
        menteeId: `done-${i}`,
        mentorId: 'old-mentor',
        score: 1,
        reasons: [],
        status: 'mentor_declined',
        createdAt: new Date(T0 - 200 * HOUR),
      })),
    );
    const service = new ProposalService(conn, () => clock);
    expect((await service.due()).map((p) => p._id)).toEqual([proposalId('old-mentee', 'old-mentor')]);

    const waiting = await request(service, 'lea', 'claire');
    commands.length = 0;
    clock = T0 + 49 * HOUR;
    expect((await service.remindersDue()).map((p) => p._id)).toEqual([waiting]);
    clock = T0 + 73 * HOUR;
    expect((await service.due()).map((p) => p._id).sort()).toEqual(
      [proposalId('old-mentee', 'old-mentor'), waiting].sort(),
    );
    // Past its deadline, a request is not reminded of it.
    expect(await service.remindersDue()).toEqual([]);
    expect((await service.pendingFor('claire')).map((p) => p._id)).toEqual([waiting]);
    expect(finds().filter((f) => f.collection === 'proposals' && f.filter !== '_id')).toEqual([]);
  });

  it('drops an entry whose request ended without it, and leaves the set when a request ends', async () => {
    clock = T0;
    const service = new ProposalService(conn, () => clock);
    const declined = await request(service, 'nora', 'marc');
    const leaked = await request(service, 'sami', 'marc');
    expect((await service.pendingFor('marc')).map((p) => p._id).sort()).toEqual([declined, leaked].sort());

    expect(await service.mentorDecides(declined, 'declined')).toBe('won');
    await service.settle(declined, 'declined');
    // A process died after the status changed, before it took the entry out.
    await proposalModel(conn).updateOne({ _id: leaked }, { $set: { status: 'expired' } });

    expect(await service.pendingFor('marc')).toEqual([]);
    expect(await openRequestModel(conn).find({ mentorId: 'marc' }).lean()).toEqual([]);
  });

  it("reads a mentor's pairs and places by _id", async () => {
    clock = T0;
    const service = new ProposalService(conn, () => clock);
    const paired = await request(service, 'ines', 'paul');
    const waiting = await request(service, 'yan', 'paul');
    expect((await service.mentorAccepts(paired, 2)).kind).toBe('matched');
    const candidates = new CandidateService(conn, { charterVersion: 'v1' });
    await candidates.mentorIndex();
    commands.length = 0;
    expect((await service.activeMatches('paul')).map((m) => m._id)).toEqual([paired]);
    expect(await seatsTaken(conn, 'paul')).toBe(1);
    expect((await service.pendingFor('paul')).map((p) => p._id)).toEqual([waiting]);
    await candidates.mentor('paul');
    // Only the small set of open requests is read by mentor.
    const scans = finds().filter((f) => f.filter !== '_id');
    expect(scans.length).toBeGreaterThan(0);
    expect(scans.every((f) => f.collection === 'proposals_open')).toBe(true);
    await service.endMatch(paired, 'job');
    expect(await service.activeMatches('paul')).toEqual([]);
    expect(await seatsTaken(conn, 'paul')).toBe(0);
  });
});
