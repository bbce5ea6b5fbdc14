import type { Connection } from 'mongoose';
import { matchModel } from '../../models/match.js';
import { type PersonDoc, type PersonStatus, type Profile, personModel } from '../../models/person.js';
import { type ProposalDoc, type ProposalStatus, proposalModel } from '../../models/proposal.js';
import type { CohortContext } from '../matching/cohort.js';
import { pairKey } from '../matching/filters.js';
import { indexMentors, type MentorIndex } from '../matching/mentors.js';
import { type Penalties, penaltiesFromPassed } from '../matching/penalties.js';
import type { MenteeCandidate, MentorCandidate } from '../matching/profile.js';
import { type RankResult, rank } from '../matching/rank.js';
import { OpenRequests } from './open-requests.js';
import { seatsTaken } from './proposals.js';
import { SharedCache } from './shared-cache.js';

/** A paused mentor stays in the index: the filters say why they are not proposed. */
const MENTOR_STATUSES: PersonStatus[] = ['active', 'paused'];
/** A mentee has one open proposal at a time: while it is open, they are not waiting. */
const OPEN_STATUSES: ProposalStatus[] = ['proposed', 'mentee_interested'];
const HOUR_MS = 3_600_000;

/** What the responsiveness reads of a proposal: when the mentee asked and the mentor answered. */
type AnswerDates = Pick<ProposalDoc, 'mentorId' | 'requestedAt' | 'answeredAt'>;

function median(sorted: readonly number[]): number | undefined {
  if (sorted.length === 0) return undefined;
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Per mentor, the median hours from "ça m'intéresse" to their answer, over the answered proposals. */
function medianAnswerHours(proposals: readonly AnswerDates[]): Map<string, number> {
  const hours = new Map<string, number[]>();
  for (const { mentorId, requestedAt, answeredAt } of proposals) {
    if (!(requestedAt instanceof Date) || !(answeredAt instanceof Date)) continue;
    const h = (answeredAt.getTime() - requestedAt.getTime()) / HOUR_MS;
    const own = hours.get(mentorId);
    if (own === undefined) hours.set(mentorId, [h]);
    else own.push(h);
  }
  return new Map([...hours].map(([id, hs]) => [id, median(hs.sort((a, b) => a - b)) as number] as const));
}

/** The mentors proposed to a mentee (whatever became of it), and those they passed. */
interface History {
  proposed: string[];
  passed: string[];
}

/**
 * How long a process keeps its mentor index before rebuilding it in the background. A rebuild reads
 * whole collections on FerretDB (every person, to find the mentors, and the answered proposals), on
 * the CPU every turn shares: 0.66 s with 4,000 people and 1,000 proposals, 2.9 s with 30,000
 * proposals (`npm run bench -- history`). Under the turns benchmark, whose fresh database holds a
 * few hundred people, the difference stayed within the machine's noise (p99 315–325 ms with 10
 * minutes against 497–523 ms with 30 s in one pair of runs; 536–595 ms with 5 minutes against
 * 492–676 ms in another). Nothing is proposed from a stale index without reading the mentor
 * again, and a change that matters to it (a match, a request ended, a pause or a return, a
 * profile edited, a mentor onboarded or back on the charter) makes every process build a fresh one
 * for its next ranking (`invalidate`). What waits for the next rebuild is what nobody invalidates
 * for: a request made (its place is checked before each proposal) and answer times.
 */
const INDEX_TTL_MS = 5 * 60_000;

function countBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(keyOf(item), (counts.get(keyOf(item)) ?? 0) + 1);
  return counts;
}

/**
 * The bridge between the database and the pure matching core (bot/matching/): people, matches and
 * proposals read into candidates, rankings and cohort contexts. These reads scan collections on the
 * embedded FerretDB (it pushes down only `_id` filters), so each build reads each collection once,
 * and the mentor index, shared by every ranking, is kept in each process (INDEX_TTL_MS).
 */
export class CandidateService {
  private readonly people;
  private readonly matches;
  private readonly proposals;
  /** The charter version a person must have accepted to be matched. */
  readonly charterVersion: string;
  private readonly index: SharedCache<MentorIndex>;

  constructor(
    private readonly conn: Connection,
    opts: { charterVersion: string; now?: () => number; ttlMs?: number },
  ) {
    this.people = personModel(conn);
    this.matches = matchModel(conn);
    this.proposals = proposalModel(conn);
    this.charterVersion = opts.charterVersion;
    this.index = new SharedCache(conn, 'mentor_index', () => this.buildIndex(), {
      ttlMs: opts.ttlMs ?? INDEX_TTL_MS,
      now: opts.now ?? Date.now,
    });
  }

  /**
   * Every mentor (active or paused) as the matching sees them, indexed for ranking, kept in this
   * process (SharedCache): a mentor who filled up or paused meanwhile is re-checked with
   * `mentor()` before a proposal.
   */
  mentorIndex(): Promise<MentorIndex> {
    return this.index.get();
  }

  /** A change that must show at once: every process's next ranking waits for a fresh index. */
  invalidate(): Promise<void> {
    return this.index.invalidate();
  }

  /**
   * One mentor read fresh (status, charter, places taken), to re-check a cached ranking's choice
   * before proposing it, by `_id` and from the open requests only: their seats and the requests
   * waiting for them. Their answer times move slowly: those of the index are kept, which spares
   * reading every proposal.
   */
  async mentor(personId: string): Promise<MentorCandidate | undefined> {
    const [person, active, requested, index] = await Promise.all([
      this.people.findById(personId).lean<PersonDoc>(),
      seatsTaken(this.conn, personId),
      OpenRequests.of(this.conn)
        .requests({ mentorId: personId })
        .then((waiting) => waiting.length),
      // Only for their answer times, which move slowly: no need to ask whether it is current.
      this.index.current(),
    ]);
    if (person?.role !== 'mentor' || !MENTOR_STATUSES.includes(person.status)) return undefined;
    const j = index.position.get(personId);
    return this.toMentor(
      person,
      active + requested,
      j === undefined ? undefined : index.mentors[j]?.medianAnswerHours,
    );
  }

  /** A mentee as the matching sees them; undefined when the person is not a mentee. */
  async mentee(personId: string): Promise<MenteeCandidate | undefined> {
    const person = await this.people.findById(personId).lean<PersonDoc>();
    return person?.role === 'mentee' ? this.toMentee(person) : undefined;
  }

  /**
   * The best mentors for one mentee: no pair already proposed to them (whatever became of it),
   * mentors resembling those they passed a little lower.
   */
  async rankFor(menteeId: string, limit?: number): Promise<RankResult | undefined> {
    // Asked together: the index is this process's, its freshness one read, wasted on a non-mentee.
    const indexed = this.mentorIndex();
    indexed.catch(() => {});
    const person = await this.people.findById(menteeId).lean<PersonDoc>();
    if (person?.role !== 'mentee') return undefined;
    const [index, context] = await Promise.all([
      indexed,
      // A mentee who never had a proposal has no history: the common case of the first proposal,
      // at the end of the onboarding. Were the history short of a pair, that pair is still refused
      // by the proposal's own claim.
      person.matching?.proposalId
        ? this.historyOf(person).then((h) => this.contextOf(new Map([[menteeId, h]])))
        : ({} as CohortContext),
    ]);
    const penalties = context.penalties?.get(menteeId);
    return rank(this.toMentee(person), index, { excluded: context.excluded, penalties, limit });
  }

  /**
   * Mentees waiting for a proposal, first signed up first: active, charter current, no active
   * match and no open proposal.
   */
  async waitingMentees(): Promise<MenteeCandidate[]> {
    const [people, active, open] = await Promise.all([
      this.people
        .find({ role: 'mentee', status: 'active' })
        .sort({ createdAt: 1, _id: 1 })
        .lean<PersonDoc[]>(),
      this.matches.find({ status: 'active' }, { menteeId: 1 }).lean<Array<{ menteeId: string }>>(),
      this.proposals
        .find({ status: { $in: OPEN_STATUSES } }, { menteeId: 1 })
        .lean<Array<{ menteeId: string }>>(),
    ]);
    const busy = new Set([...active, ...open].map((d) => d.menteeId));
    // Someone who said "stop" gets no proposal until they come back.
    return people
      .filter((p) => !busy.has(p._id) && p.proactive !== false)
      .map((p) => this.toMentee(p))
      .filter((m) => m.charterAccepted);
  }

  /** What the filters and penalties need of these mentees' past proposals. */
  async cohortContext(menteeIds: readonly string[]): Promise<CohortContext> {
    return this.contextOf(await this.histories(menteeIds));
  }

  /**
   * One mentee's history, as their person keeps it (PeopleService.proposedTo, .passedOn). A mentee
   * proposed to before the person kept it has theirs read from the proposals once, and kept.
   */
  private async historyOf(person: PersonDoc): Promise<History> {
    const kept = person.matching;
    if (Array.isArray(kept?.proposed)) return { proposed: kept.proposed, passed: kept.passed ?? [] };
    const history = (await this.histories([person._id])).get(person._id) ?? { proposed: [], passed: [] };
    // An empty history is kept too (empty arrays), so it is not looked for again. On FerretDB an
    // `$addToSet` of nothing creates the field only because the update changes something else
    // (mongoose's `updatedAt`): the candidates test checks that it is kept.
    await this.people.updateOne(
      { _id: person._id },
      {
        $addToSet: {
          'matching.proposed': { $each: history.proposed },
          'matching.passed': { $each: history.passed },
        },
      },
    );
    return history;
  }

  /** The mentees' histories read from the proposals. */
  private async histories(menteeIds: readonly string[]): Promise<Map<string, History>> {
    const ids = new Set(menteeIds);
    // One mentee: an index lookup on MongoDB. A cohort: one read of the collection, filtered here,
    // rather than a `$in` of thousands of ids that FerretDB would test against every document.
    const filter = menteeIds.length === 1 ? { menteeId: menteeIds[0] } : {};
    const proposals = (
      await this.proposals
        .find(filter, { menteeId: 1, mentorId: 1, status: 1 })
        .lean<Array<Pick<ProposalDoc, 'menteeId' | 'mentorId' | 'status'>>>()
    ).filter((p) => ids.has(p.menteeId));
    const out = new Map<string, History>();
    for (const { menteeId, mentorId, status } of proposals) {
      const history = out.get(menteeId) ?? { proposed: [], passed: [] };
      out.set(menteeId, history);
      history.proposed.push(mentorId);
      if (status === 'mentee_passed') history.passed.push(mentorId);
    }
    return out;
  }

  /** The pairs excluded and the penalties of the mentors passed, from the mentees' histories. */
  private async contextOf(histories: ReadonlyMap<string, History>): Promise<CohortContext> {
    const all = [...histories];
    const profiles = await this.profilesOf(new Set(all.flatMap(([, h]) => h.passed)));
    const penalties = new Map<string, Penalties>();
    for (const [menteeId, { passed }] of all) {
      const known = passed.map((id) => profiles.get(id)).filter((p): p is Profile => p !== undefined);
      if (known.length > 0) penalties.set(menteeId, penaltiesFromPassed(known));
    }
    return {
      excluded: new Set(all.flatMap(([menteeId, h]) => h.proposed.map((m) => pairKey(menteeId, m)))),
      penalties,
    };
  }

  /** Reads the mentors, their pairs and answer times, and indexes them (protected: a test holds it). */
  protected async buildIndex(): Promise<MentorIndex> {
    const [people, active, requested, answered] = await Promise.all([
      this.people
        .find({ role: 'mentor', status: { $in: MENTOR_STATUSES } })
        .sort({ createdAt: 1, _id: 1 })
        .lean<PersonDoc[]>(),
      this.matches.find({ status: 'active' }, { mentorId: 1 }).lean<Array<{ mentorId: string }>>(),
      OpenRequests.of(this.conn).entries(),
      this.proposals
        .find({ answeredAt: { $exists: true } }, { mentorId: 1, requestedAt: 1, answeredAt: 1 })
        .lean<AnswerDates[]>(),
    ]);
    // A request waiting for the mentor's answer holds a place: a mentor with one place left gets
    // one request at a time, and nobody waits 72 hours for a "no place left".
    const activeMentees = countBy([...active, ...requested], (m) => m.mentorId);
    const hours = medianAnswerHours(answered);
    return indexMentors(people.map((p) => this.toMentor(p, activeMentees.get(p._id) ?? 0, hours.get(p._id))));
  }

  /** Profiles of these mentors: from the index, else (a mentor who left it) read by `_id`. */
  private async profilesOf(mentorIds: ReadonlySet<string>): Promise<Map<string, Profile>> {
    const profiles = new Map<string, Profile>();
    if (mentorIds.size === 0) return profiles;
    // The index the ranking just used (or any recent one): a profile not in it is read by `_id`.
    const index = await this.index.current();
    const missing: string[] = [];
    for (const id of mentorIds) {
      const j = index.position.get(id);
      if (j === undefined) missing.push(id);
      else profiles.set(id, (index.mentors[j] as MentorCandidate).profile);
    }
    const read = await Promise.all(
      missing.map((id) =>
        this.people.findById(id, { profile: 1 }).lean<Pick<PersonDoc, '_id' | 'profile'>>(),
      ),
    );
    for (const p of read) if (p) profiles.set(p._id, p.profile ?? {});
    return profiles;
  }

  private charterAccepted(person: PersonDoc): boolean {
    const charter = person.consents?.charter;
    return charter?.decision === 'accepted' && charter.version === this.charterVersion;
  }

  private toMentor(person: PersonDoc, activeMentees: number, medianAnswerHours?: number): MentorCandidate {
    return {
      id: person._id,
      profile: person.profile ?? {},
      // A mentor who said "stop" gets no message: no request could reach them.
      paused: person.status === 'paused' || person.proactive === false,
      activeMentees,
      medianAnswerHours,
      charterAccepted: this.charterAccepted(person),
    };
  }

  private toMentee(person: PersonDoc): MenteeCandidate {
    return {
      id: person._id,
      profile: person.profile ?? {},
      programme: person.programme,
      charterAccepted: this.charterAccepted(person),
    };
  }
}
