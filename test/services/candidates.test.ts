import type { Connection } from 'mongoose';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../bot/db/database.js';
import { pairKey } from '../../bot/matching/filters.js';
import type { MentorCandidate } from '../../bot/matching/profile.js';
import { CandidateService } from '../../bot/services/candidates.js';
import { ConsentService } from '../../bot/services/consents.js';
import { PeopleService } from '../../bot/services/people.js';
import { ProposalService } from '../../bot/services/proposals.js';
import { type PersonStatus, type Profile, personModel, type Role } from '../../models/person.js';
import { proposalId } from '../../models/proposal.js';
import { useTestDb } from '../helpers/db.js';
import { CLAIRE_PROFILE, LEA_PROFILE } from '../helpers/journey.js';
import { pollUntil } from '../helpers/poll.js';

const CHARTER = '2026-11';
const HOUR = 3_600_000;
const T0 = Date.parse('2026-11-02T09:00:00Z');

let db: Database;
let conn: Connection;
let proposals: ProposalService;
let candidates: CandidateService;

/** Candidates whose next index build can be held once it has read the data: a slow background build. */
class HeldCandidates extends CandidateService {
  private gate?: Promise<void>;
  private readonly builds: Promise<unknown>[] = [];

  holdNextBuild(gate: Promise<void>): void {
    this.gate = gate;
  }

  /** Whether a build has taken the gate set by holdNextBuild. */
  get holding(): boolean {
    return this.gate === undefined;
  }

  /** Resolves when every build started so far has ended. */
  async settled(): Promise<void> {
    await Promise.allSettled(this.builds);
  }

  protected override buildIndex(): ReturnType<CandidateService['buildIndex']> {
    const gate = this.gate;
    this.gate = undefined;
    const build = super.buildIndex().then(async (index) => {
      await gate;
      return index;
    });
    this.builds.push(build);
    return build;
  }
}

/** A person as the onboardings leave them, with their charter decision recorded (or not). */
async function person(
  id: string,
  role: Role,
  opts: { status?: PersonStatus; profile?: Profile; charter?: string; at?: number; programme?: string } = {},
) {
  await personModel(conn).create({
    _id: id,
    role,
    status: opts.status ?? 'active',
    locale: 'fr',
    profile: opts.profile ?? (role === 'mentor' ? CLAIRE_PROFILE : LEA_PROFILE),
    proactive: true,
    programme: opts.programme,
    createdAt: new Date(opts.at ?? T0),
  });
  if (opts.charter === 'none') return;
  await new ConsentService(conn).record({
    personId: id,
    kind: 'charter',
    decision: 'accepted',
    version: opts.charter ?? CHARTER,
    locale: 'fr',
    text: 'La charte',
    channel: 'test',
    turnKey: 'turn-1',
  });
}

const mentor = (id: string, profile: Profile = {}, opts: Parameters<typeof person>[2] = {}) =>
  person(id, 'mentor', { ...opts, profile: { ...CLAIRE_PROFILE, ...profile } });
const mentee = (id: string, opts: Parameters<typeof person>[2] = {}) => person(id, 'mentee', opts);

/** The proposals' clock: requests are made at T0, answers some hours later. */
let clock = T0;

/** A proposal the mentee asked for ("ça m'intéresse"), at T0. */
async function requested(menteeId: string, mentorId: string) {
  clock = T0;
  await proposals.propose({ menteeId, mentorId, score: 500, reasons: [] });
  const id = proposalId(menteeId, mentorId);
  await proposals.menteeDecides(id, 'interested', 72 * HOUR);
  return id;
}

async function declined(menteeId: string, mentorId: string, afterHours = 1) {
  const id = await requested(menteeId, mentorId);
  clock = T0 + afterHours * HOUR;
  await proposals.mentorDecides(id, 'declined');
  await proposals.settle(id, 'declined');
}

async function matched(menteeId: string, mentorId: string, capacity: number, afterHours = 1) {
  const id = await requested(menteeId, mentorId);
  clock = T0 + afterHours * HOUR;
  const outcome = await proposals.mentorAccepts(id, capacity);
  if (outcome.kind !== 'matched') throw new Error(`not matched: ${outcome.kind}`);
  return outcome.match;
}

const byId = (list: readonly MentorCandidate[], id: string) => list.find((m) => m.id === id);

beforeAll(async () => {
  db = await useTestDb('candidates');
  conn = db.connection;
  proposals = new ProposalService(conn, () => clock);
  candidates = new CandidateService(conn, { charterVersion: CHARTER });

  // Mentors: capacity 3 with one mentee and one request, full, paused, an old charter, still onboarding, a match ended.
  await mentor('m-two', { company: 'Bleu', capacity: '3' });
  await mentor('m-full', { capacity: '1' });
  await mentor('m-paused', {}, { status: 'paused' });
  await mentor('m-old-charter', {}, { charter: '2025-01' });
  await mentor('m-onboarding', {}, { status: 'onboarding' });
  await mentor('m-ended', { capacity: '1' });
  await mentee('busy-matched');
  await matched('busy-matched', 'm-two', 2, 10);
  await mentee('busy-full');
  await matched('busy-full', 'm-full', 1, 50);
  await mentee('ended', { at: T0 + 4 * 60_000 });
  await proposals.endMatch((await matched('ended', 'm-ended', 1))._id, 'job');
  // m-two answered four requests in 10 (the match above), 2, 30 and 14 hours: median 12. One is open.
  for (const [i, hours] of [2, 30, 14].entries()) await declined(`past-${i}`, 'm-two', hours);
  await requested('past-open', 'm-two');

  // Léa passed m-x (industry, at Acme Provence like the mentors by default) and m-gone (who left
  // since), and m-y declined her.
  await mentor('m-x', { sectors: ['industry'] });
  await mentor('m-y', { company: 'Yellow' });
  await mentor('m-gone', { company: 'Gone SA', sectors: ['health'] }, { status: 'onboarding' });
  await mentor('m-same-company', { company: 'Acme Provence' });
  await mentor('m-other-company', { company: 'Zenith' });
  await mentee('lea', { at: T0 + 3 * 60_000, programme: 'reseau_entreprendre' });
  for (const m of ['m-x', 'm-gone']) {
    await proposals.propose({ menteeId: 'lea', mentorId: m, score: 500, reasons: [] });
    await proposals.menteeDecides(proposalId('lea', m), 'passed', 72 * HOUR);
  }
  await declined('lea', 'm-y');
  // As the matchmaker does with each proposal: the pointer says she has a history to read.
  await personModel(conn).updateOne(
    { _id: 'lea' },
    { $set: { 'matching.proposalId': proposalId('lea', 'm-y') } },
  );

  // Mentees: three waiting (created out of order), two with an open proposal, three not ready.
  await mentee('w-third', { at: T0 + 2 * 60_000 });
  await mentee('w-first', { at: T0 });
  await mentee('w-second', { at: T0 + 60_000 });
  await mentee('busy-proposed');
  await proposals.propose({ menteeId: 'busy-proposed', mentorId: 'm-x', score: 500, reasons: [] });
  await mentee('busy-interested');
  await requested('busy-interested', 'm-x');
  await mentee('old-charter', { charter: '2025-01' });
  await mentee('no-charter', { charter: 'none' });
  await mentee('onboarding', { status: 'onboarding' });
});

describe('CandidateService', () => {
  it('reads every active or paused mentor: places taken, pause, charter, answer times', async () => {
    const { mentors, filter } = await candidates.mentorIndex();
    const ids = mentors.map((m) => m.id);
    expect(ids).toContain('m-two');
    expect(ids).not.toContain('m-onboarding');
    expect(ids).not.toContain('busy-matched');
    // One pair and one request waiting for her answer: two places of her capacity taken.
    expect(byId(mentors, 'm-two')).toMatchObject({ activeMentees: 2, paused: false, medianAnswerHours: 12 });
    expect(byId(mentors, 'm-full')).toMatchObject({ activeMentees: 1, medianAnswerHours: 50 });
    expect(byId(mentors, 'm-paused')?.medianAnswerHours).toBeUndefined();
    expect(byId(mentors, 'm-ended')?.activeMentees).toBe(0);
    expect(byId(mentors, 'm-paused')?.paused).toBe(true);
    expect(byId(mentors, 'm-old-charter')?.charterAccepted).toBe(false);
    expect(byId(mentors, 'm-two')?.charterAccepted).toBe(true);
    const reasonOf = (id: string) => filter[mentors.findIndex((m) => m.id === id)];
    expect(reasonOf('m-two')).toBe(0);
    expect(reasonOf('m-full')).not.toBe(0);
    expect(reasonOf('m-paused')).not.toBe(0);
  });

  it('reads one mentor fresh, and one mentee with their programme', async () => {
    expect(await candidates.mentor('m-two')).toEqual(byId((await candidates.mentorIndex()).mentors, 'm-two'));
    expect(await candidates.mentor('m-onboarding')).toBeUndefined();
    expect(await candidates.mentor('lea')).toBeUndefined();
    expect(await candidates.mentee('lea')).toMatchObject({
      id: 'lea',
      programme: 'reseau_entreprendre',
      charterAccepted: true,
      profile: LEA_PROFILE,
    });
    expect(await candidates.mentee('old-charter')).toMatchObject({ charterAccepted: false });
    expect(await candidates.mentee('m-two')).toBeUndefined();
    expect(await candidates.mentee('nobody')).toBeUndefined();
  });

  it('ranks without any pair proposed before, lowering mentors like those passed', async () => {
    const result = await candidates.rankFor('lea', 20);
    if (result === undefined) throw new Error('no ranking');
    const ids = result.mentors.map((m) => m.mentorId);
    expect(ids).not.toContain('m-x');
    expect(ids).not.toContain('m-y');
    expect(result.filtered.already_paired).toBe(2);
    const same = result.mentors.find((m) => m.mentorId === 'm-same-company');
    const other = result.mentors.find((m) => m.mentorId === 'm-other-company');
    expect(other?.penalty).toBeGreaterThan(0);
    expect(same?.penalty).toBeGreaterThan(other?.penalty ?? Infinity);
    expect(ids.indexOf('m-other-company')).toBeLessThan(ids.indexOf('m-same-company'));
    expect((await candidates.rankFor('lea', 1))?.mentors).toHaveLength(1);
    expect(await candidates.rankFor('nobody')).toBeUndefined();
  });

  it('gives a cohort its excluded pairs and penalties, passed mentors who left included', async () => {
    const context = await candidates.cohortContext(['lea', 'busy-proposed', 'w-first']);
    expect(context.excluded).toEqual(
      new Set([
        pairKey('lea', 'm-x'),
        pairKey('lea', 'm-gone'),
        pairKey('lea', 'm-y'),
        pairKey('busy-proposed', 'm-x'),
      ]),
    );
    expect([...(context.penalties?.keys() ?? [])]).toEqual(['lea']);
    expect(context.penalties?.get('lea')?.companies.sort()).toEqual(['acme provence', 'gone sa']);
  });

  it('lists the waiting mentees in sign-up order', async () => {
    expect((await candidates.waitingMentees()).map((m) => m.id)).toEqual([
      'w-first',
      'w-second',
      'w-third',
      'lea',
      'ended',
    ]);
  });

  it('keeps the mentor index for its time to live, then serves it while a fresh one is built, until invalidated', async () => {
    let now = T0;
    const cached = new HeldCandidates(conn, { charterVersion: CHARTER, now: () => now, ttlMs: 1000 });
    const [first, again] = await Promise.all([cached.mentorIndex(), cached.mentorIndex()]);
    expect(again).toBe(first);
    await mentor('m-late');
    now += 999;
    expect(await cached.mentorIndex()).toBe(first);
    expect(first.position.has('m-late')).toBe(false);
    expect((await cached.mentor('m-late'))?.id).toBe('m-late');
    now += 1;
    // Expired: the turn gets the index it had at once, and the next one the rebuilt index.
    expect(await cached.mentorIndex()).toBe(first);
    let rebuilt = first;
    await pollUntil(
      async () => {
        rebuilt = await cached.mentorIndex();
        return rebuilt !== first;
      },
      5000,
      () => new Error('the index was not rebuilt'),
    );
    expect(rebuilt.position.has('m-late')).toBe(true);

    // A rebuild started before an invalidation is not kept, even when it ends after the fresh one:
    // the change must show at once and stay.
    let release = () => {};
    cached.holdNextBuild(
      new Promise<void>((resolve) => {
        release = resolve;
      }),
    );
    now += 1000;
    expect(await cached.mentorIndex()).toBe(rebuilt); // starts a background rebuild, held once read
    expect(cached.holding).toBe(true);
    await mentor('m-later');
    await cached.invalidate();
    const fresh = await cached.mentorIndex();
    expect(fresh).not.toBe(rebuilt);
    expect(fresh.position.has('m-later')).toBe(true);
    release();
    await cached.settled();
    expect(await cached.mentorIndex()).toBe(fresh);
  });
  it("keeps a mentee's history with them: read from the proposals once, then from the person", async () => {
    // Proposals made before people kept their history, as by an earlier version.
    await mentee('returning');
    for (const m of ['m-x', 'm-gone']) {
      await proposals.propose({ menteeId: 'returning', mentorId: m, score: 500, reasons: [] });
      await proposals.menteeDecides(proposalId('returning', m), 'passed', 72 * HOUR);
    }
    await declined('returning', 'm-y');
    const people = new PeopleService(conn);
    await people.setMatching('returning', { proposalId: proposalId('returning', 'm-y') });
    const ranked = async () => (await candidates.rankFor('returning', 20))?.mentors.map((m) => m.mentorId);
    const kept = async () => (await personModel(conn).findById('returning').lean())?.matching;

    // The first ranking reads them from the proposals, and the person keeps them.
    expect(await ranked()).not.toContain('m-y');
    expect([...((await kept())?.proposed ?? [])].sort()).toEqual(['m-gone', 'm-x', 'm-y']);
    expect([...((await kept())?.passed ?? [])].sort()).toEqual(['m-gone', 'm-x']);
    // From then on the ranking reads the person, not the proposals (a scan on FerretDB): a proposal
    // written behind the history's back is not seen; once the person records it, it is.
    await proposals.propose({ menteeId: 'returning', mentorId: 'm-other-company', score: 500, reasons: [] });
    expect(await ranked()).toContain('m-other-company');
    await people.proposedTo('returning', proposalId('returning', 'm-other-company'), 'm-other-company');
    expect(await ranked()).not.toContain('m-other-company');
    expect((await kept())?.proposalId).toBe(proposalId('returning', 'm-other-company'));
    // A mentor passed lowers those like them: here, the other mentors of Zenith.
    await mentor('m-zenith-2', { company: 'Zenith' });
    await candidates.invalidate();
    const before = (await candidates.rankFor('returning', 20))?.mentors.find(
      (m) => m.mentorId === 'm-zenith-2',
    );
    await people.passedOn('returning', 'm-other-company');
    const after = (await candidates.rankFor('returning', 20))?.mentors.find(
      (m) => m.mentorId === 'm-zenith-2',
    );
    expect(after?.penalty ?? 0).toBeGreaterThan(before?.penalty ?? 0);
  });

  it('keeps an empty history too, so it is not looked for again', async () => {
    // A pointer to a proposal that is not there (removed since): nothing to read, once.
    await mentee('pointer-only');
    await new PeopleService(conn).setMatching('pointer-only', { proposalId: 'gone|gone' });
    await candidates.rankFor('pointer-only');
    const kept = (await personModel(conn).findById('pointer-only').lean())?.matching;
    expect(kept?.proposed).toEqual([]);
    expect(kept?.passed).toEqual([]);
  });

  it('serves no index older than an invalidation made by another process', async () => {
    // Two processes: two services, each with its index, on one database.
    const here = new CandidateService(conn, { charterVersion: CHARTER });
    const there = new CandidateService(conn, { charterVersion: CHARTER });
    await mentor('m-shared');
    const pausedIn = async (c: CandidateService) =>
      (await c.mentorIndex()).mentors.find((m) => m.id === 'm-shared')?.paused;
    expect(await pausedIn(here)).toBe(false);
    expect(await pausedIn(there)).toBe(false);
    await new PeopleService(conn).setStatus('m-shared', 'paused', 'active');
    await there.invalidate();
    expect(await pausedIn(there)).toBe(true);
    expect(await pausedIn(here)).toBe(true);
  });
});
