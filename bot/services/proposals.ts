import type { Connection } from 'mongoose';
import { type ClaimDoc, claim, claimed, release } from '../../models/claim.js';
import { type MatchDoc, matchModel } from '../../models/match.js';
import {
  type ProposalDoc,
  type ProposalStatus,
  proposalId,
  proposalModel,
  type StoredReason,
} from '../../models/proposal.js';
import { insertOnce } from '../db/insert-once.js';
import { OpenRequests } from './open-requests.js';

export type MenteeDecision = 'interested' | 'passed';
/**
 * What ends a request without a match: the mentor's no, the deadline, their last place taken,
 * their pause, or the mentee starting their profile again (withdrawn).
 */
export type MentorDecision = 'declined' | 'expired' | 'full' | 'paused' | 'withdrawn';

const SETTLED: Record<MentorDecision, ProposalStatus> = {
  declined: 'mentor_declined',
  expired: 'expired',
  full: 'mentor_full',
  paused: 'mentor_paused',
  withdrawn: 'withdrawn',
};

export function isMentorDecision(value: string | undefined): value is MentorDecision {
  return value !== undefined && Object.hasOwn(SETTLED, value);
}

export type AcceptOutcome =
  | { kind: 'matched'; match: MatchDoc }
  /** Every place of the mentor's capacity is taken: the request closes, the mentee goes on. */
  | { kind: 'full' }
  /** The mentee has been matched with someone else meanwhile. */
  | { kind: 'mentee_taken' }
  /** Already decided (a double click, the deadline): by what. */
  | { kind: 'decided'; by: string }
  /** The mentee has not asked for this mentor (yet, or any more). */
  | { kind: 'not_requested' };

/** How old an acceptance's claim must be before the deadline job finishes it (see resumeAcceptance). */
const RESUME_AFTER_MS = 5 * 60_000;

/** The most places a mentor can offer (the capacity list's largest value). */
const MAX_SEATS = 3;

/**
 * The places of a mentor's capacity held by their pairs: read by `_id` (at most three claims), not
 * by counting their matches, and the very claims an acceptance takes, so a place held by a pair
 * that a crash left half-ended counts as taken for both.
 */
export async function seatsTaken(conn: Connection, mentorId: string): Promise<number> {
  return (await seatsHeld(conn, mentorId)).length;
}

/** The seat claims a mentor's pairs hold; each one's value is its proposal, whose id the match shares. */
async function seatsHeld(conn: Connection, mentorId: string): Promise<ClaimDoc[]> {
  const seats = await Promise.all(
    Array.from({ length: MAX_SEATS }, (_, i) => claimed(conn, `seat|${mentorId}|${i + 1}`)),
  );
  return seats.filter((s): s is ClaimDoc => s !== null);
}

/**
 * Proposals and matches, with every decision a claim (a unique insert) so that concurrent
 * decisions cannot both win, on FerretDB as on MongoDB:
 *  - `decision|mentee|<proposal>`  the mentee's answer ("ça m'intéresse" or "voir un autre profil");
 *  - `decision|mentor|<proposal>`  the mentor's answer or the deadline, whichever comes first;
 *  - `seat|<mentor>|<n>`           place n of the mentor's capacity (1 to 3);
 *  - `paired|<mentee>`             the mentee's one active match.
 * The proposal's `status` mirrors the claims for reading; the claims decide.
 */
export class ProposalService {
  private readonly proposals;
  private readonly matches;
  /** The requests waiting for their mentor, read instead of every proposal (services/open-requests.ts). */
  private readonly open: OpenRequests;

  constructor(
    private readonly conn: Connection,
    private readonly now: () => number = Date.now,
  ) {
    this.proposals = proposalModel(conn);
    this.matches = matchModel(conn);
    this.open = OpenRequests.of(conn);
  }

  /** Proposes `mentorId` to `menteeId`; undefined when this pair was ever proposed before. */
  async propose(input: {
    menteeId: string;
    mentorId: string;
    score: number;
    reasons: StoredReason[];
  }): Promise<ProposalDoc | undefined> {
    const doc: ProposalDoc = {
      _id: proposalId(input.menteeId, input.mentorId),
      ...input,
      status: 'proposed',
      createdAt: new Date(this.now()),
    };
    return (await claim(this.conn, `proposal|${doc._id}`))
      ? (await this.proposals.create(doc)).toObject()
      : undefined;
  }

  async get(id: string): Promise<ProposalDoc | null> {
    return this.proposals.findById(id).lean<ProposalDoc>();
  }

  /**
   * The mentee's answer. "interested" starts the mentor's deadline (a reminder at two thirds of
   * it). false: the mentee had already answered.
   */
  async menteeDecides(id: string, decision: MenteeDecision, deadlineMs: number): Promise<boolean> {
    if (!(await claim(this.conn, `decision|mentee|${id}`, decision))) return false;
    const now = this.now();
    const $set: Partial<ProposalDoc> =
      decision === 'passed'
        ? { status: 'mentee_passed' }
        : {
            status: 'mentee_interested',
            requestedAt: new Date(now),
            deadline: new Date(now + deadlineMs),
            remindAt: new Date(now + Math.round((deadlineMs * 2) / 3)),
          };
    await this.proposals.updateOne({ _id: id }, { $set });
    if (decision === 'interested') {
      const proposal = await this.get(id);
      const entry = proposal && OpenRequests.entryOf(proposal);
      if (entry) await this.open.add(entry);
    }
    return true;
  }

  /**
   * The mentor says yes: a match when a place of their `capacity` is free and the mentee is still
   * free; a double click, two acceptances at once for one last place, or an acceptance racing the
   * deadline never produce two matches or exceed the capacity.
   */
  async mentorAccepts(id: string, capacity: number): Promise<AcceptOutcome> {
    const proposal = await this.get(id);
    const asked = await claimed(this.conn, `decision|mentee|${id}`);
    if (!proposal || asked?.value !== 'interested') return { kind: 'not_requested' };
    if (!(await claim(this.conn, `decision|mentor|${id}`, 'accepted'))) {
      return { kind: 'decided', by: (await claimed(this.conn, `decision|mentor|${id}`))?.value ?? '?' };
    }
    return this.accepted(proposal, capacity, false);
  }

  /**
   * An acceptance a crash left half-done: its claim taken over RESUME_AFTER_MS ago, the request
   * still waiting. Its steps are run again, each one found done for this proposal or done now.
   * Only the deadline job calls it, and the claim's age keeps it from running beside the
   * acceptance itself.
   */
  async resumeAcceptance(id: string, capacity: number): Promise<AcceptOutcome> {
    const [proposal, decision] = await Promise.all([
      this.get(id),
      claimed(this.conn, `decision|mentor|${id}`),
    ]);
    if (proposal?.status !== 'mentee_interested' || decision?.value !== 'accepted')
      return { kind: 'not_requested' };
    if (this.now() - decision.at.getTime() < RESUME_AFTER_MS) return { kind: 'decided', by: 'accepted' };
    return this.accepted(proposal, capacity, true);
  }

  /** The steps of an acceptance after its claim: a place, the mentee, the match, the status. */
  private async accepted(proposal: ProposalDoc, capacity: number, resuming: boolean): Promise<AcceptOutcome> {
    const id = proposal._id;
    const held = resuming
      ? (await seatsHeld(this.conn, proposal.mentorId)).find((s) => s.value === id)
      : undefined;
    const seat = held
      ? Number(held._id.split('|').at(-1))
      : await this.takeSeat(proposal.mentorId, capacity, id);
    if (seat === undefined) {
      await this.setStatus(id, 'mentor_full');
      return { kind: 'full' };
    }
    const paired =
      (await claim(this.conn, `paired|${proposal.menteeId}`, id)) ||
      (resuming && (await claimed(this.conn, `paired|${proposal.menteeId}`))?.value === id);
    if (!paired) {
      await release(this.conn, `seat|${proposal.mentorId}|${seat}`);
      await this.setStatus(id, 'expired');
      return { kind: 'mentee_taken' };
    }
    const match: MatchDoc = {
      _id: id,
      menteeId: proposal.menteeId,
      mentorId: proposal.mentorId,
      seat,
      status: 'active',
      createdAt: new Date(this.now()),
    };
    if (!(await insertOnce(this.matches.collection, { ...match })) && !resuming)
      throw new Error(`match ${id} already exists`);
    await this.proposals.updateOne(
      { _id: id },
      { $set: { status: 'mentor_accepted', matchId: id, answeredAt: new Date(this.now()) } },
    );
    await this.open.remove(id);
    return { kind: 'matched', match };
  }

  /**
   * The mentor's "no", the deadline, or their last place taken by another request, whichever
   * comes first: 'won' for the first, 'lost' after another decision. 'unfinished': this same
   * decision was taken but its follow-ups (telling the mentee, the next proposal) did not finish
   * (a crash): the caller runs them again, then `settle`s. The status changes only at `settle`.
   */
  async mentorDecides(id: string, decision: MentorDecision): Promise<'won' | 'unfinished' | 'lost'> {
    if (await claim(this.conn, `decision|mentor|${id}`, decision)) return 'won';
    const [taken, proposal] = await Promise.all([claimed(this.conn, `decision|mentor|${id}`), this.get(id)]);
    return taken?.value === decision && proposal?.status === 'mentee_interested' ? 'unfinished' : 'lost';
  }

  /** The mentor decision taken on a proposal, if any ('accepted' or a MentorDecision). */
  async mentorDecision(id: string): Promise<string | undefined> {
    return (await claimed(this.conn, `decision|mentor|${id}`))?.value;
  }

  /** Records what a mentor decision made of the proposal, once its follow-ups are done. */
  async settle(id: string, decision: MentorDecision): Promise<void> {
    const proposal = await this.get(id);
    const $set: Partial<ProposalDoc> = { status: SETTLED[decision] };
    // An expiry counts as an answer at the deadline: a mentor who never answers is not "unknown".
    if (decision === 'declined') $set.answeredAt = new Date(this.now());
    if (decision === 'expired') $set.answeredAt = proposal?.deadline ?? new Date(this.now());
    await this.proposals.updateOne({ _id: id }, { $set });
    await this.open.remove(id);
  }

  /** Why the mentor declined, told after the decline (optional, once). */
  async declineReason(id: string, reason: string): Promise<boolean> {
    if (!(await claim(this.conn, `decline-reason|${id}`, reason))) return false;
    await this.proposals.updateOne({ _id: id }, { $set: { declineReason: reason.slice(0, 500) } });
    return true;
  }

  /**
   * Takes back a proposal the mentee has not answered, because its mentor can no longer be asked
   * (paused, full). false: the mentee answered first.
   */
  async withdraw(id: string): Promise<boolean> {
    if (!(await claim(this.conn, `decision|mentee|${id}`, 'withdrawn'))) return false;
    await this.setStatus(id, 'withdrawn');
    return true;
  }

  /**
   * Requests whose reminder is due and not yet sent (a scheduled job's query); not past their
   * deadline: after a stop of the jobs, a reminder would announce a date already gone.
   */
  async remindersDue(): Promise<ProposalDoc[]> {
    const now = new Date(this.now());
    const due = await this.open.requests({
      remindAt: { $lte: now },
      deadline: { $gt: now },
      remindedAt: { $exists: false },
    });
    return due.filter((p) => p.remindedAt === undefined);
  }

  /** The reminder went out: the job stops looking at this request until its deadline. */
  async reminded(id: string): Promise<void> {
    const at = new Date(this.now());
    await this.proposals.updateOne({ _id: id }, { $set: { remindedAt: at } });
    await this.open.reminded(id, at);
  }

  /** The requests waiting for this mentor's answer, oldest first. */
  async pendingFor(mentorId: string): Promise<ProposalDoc[]> {
    const waiting = await this.open.requests({ mentorId });
    return waiting.sort((a, b) => (a.requestedAt?.getTime() ?? 0) - (b.requestedAt?.getTime() ?? 0));
  }

  /** The pair's match, if both said yes. */
  async match(id: string): Promise<MatchDoc | null> {
    return this.matches.findById(id).lean<MatchDoc>();
  }

  /** Requests whose deadline has passed (a scheduled job's query; not on a turn's path). */
  async due(): Promise<ProposalDoc[]> {
    return this.open.requests({ deadline: { $lte: new Date(this.now()) } });
  }

  /** The mentor's active pairs (App Home, capacity, contact questions), in the order of their seats. */
  async activeMatches(mentorId: string): Promise<MatchDoc[]> {
    const seats = await seatsHeld(this.conn, mentorId);
    const matches = await Promise.all(seats.map((seat) => (seat.value ? this.match(seat.value) : null)));
    return matches.filter((m): m is MatchDoc => m?.status === 'active' && m.mentorId === mentorId);
  }

  /** Ends a pair: its seat and the mentee are free again. */
  async endMatch(id: string, outcome: NonNullable<MatchDoc['outcome']>): Promise<void> {
    const match = await this.matches.findById(id).lean<MatchDoc>();
    if (match?.status !== 'active') return;
    await this.matches.updateOne({ _id: id }, { $set: { status: 'ended', outcome } });
    await release(this.conn, `seat|${match.mentorId}|${match.seat}`);
    await release(this.conn, `paired|${match.menteeId}`);
  }

  /** The first free place of the mentor's capacity, taken for `proposal`. */
  private async takeSeat(mentorId: string, capacity: number, proposal: string): Promise<number | undefined> {
    for (let n = 1; n <= capacity; n++) {
      if (await claim(this.conn, `seat|${mentorId}|${n}`, proposal)) return n;
    }
    return undefined;
  }

  private async setStatus(id: string, status: ProposalStatus): Promise<void> {
    await this.proposals.updateOne({ _id: id }, { $set: { status } });
    await this.open.remove(id);
  }
}
