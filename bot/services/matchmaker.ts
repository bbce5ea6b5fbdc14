import { setTimeout as sleep } from 'node:timers/promises';
import type { Activity } from 'botbuilder';
import type { i18n } from 'i18next';
import type { Connection } from 'mongoose';
import { claim, claimed, release } from '../../models/claim.js';
import { plannedMentor } from '../../models/cohort-plan.js';
import type { MatchDoc } from '../../models/match.js';
import type { PersonDoc } from '../../models/person.js';
import type { ProposalDoc } from '../../models/proposal.js';
import { text } from '../engine/reply.js';
import { type TFunction, toLocale } from '../i18n.js';
import type { Job } from '../jobs/scheduler.js';
import type { Logger } from '../log.js';
import { mentorFilter } from '../matching/filters.js';
import { capacity } from '../matching/profile.js';
import type { RankedMentor } from '../matching/rank.js';
import type { AlertService } from './alerts.js';
import type { CandidateService } from './candidates.js';
import {
  contactCard,
  DECLINE_REASONS,
  declineReasonsCard,
  firstName,
  formatDate,
  introduction,
  isOneOf,
  type MenteeVerb,
  type MentorVerb,
  menteeCard,
  type Replies,
  requestCard,
} from './matching-cards.js';
import type { Outbox } from './outbox.js';
import type { PeopleService } from './people.js';
import { isMentorDecision, type MentorDecision, type ProposalService } from './proposals.js';

/** What a mentee sees when they come back: their pair, their request, a proposal, or nobody yet. */
export type MenteeView =
  | { kind: 'matched'; replies: Replies }
  | { kind: 'waiting'; replies: Replies }
  | { kind: 'card'; proposalId: string; replies: Replies }
  | { kind: 'none'; replies: Replies };

export interface MatchmakerDeps {
  conn: Connection;
  i18n: i18n;
  log: Logger;
  people: PeopleService;
  proposals: ProposalService;
  candidates: CandidateService;
  outbox: Outbox;
  alerts: AlertService;
  deadlineMs: number;
  timeZone: string;
}

/**
 * What the mentee is told when their request ends without a match, before their next proposal;
 * nothing when they withdrew it themselves (they started their profile again).
 */
const MENTEE_TOLD: Record<MentorDecision, string | undefined> = {
  declined: 'proposals:mentee.declined',
  expired: 'proposals:mentee.expired',
  full: 'proposals:mentee.mentor_full',
  paused: 'proposals:mentee.unavailable',
  withdrawn: undefined,
};

/** How many ranked mentors are tried, best first, before saying nobody is left. */
const TRIED = 50;

/**
 * The matching's conversations, one proposal at a time with mutual opt-in:
 *  - a mentee gets one mentor as a card with its reasons: "Ça m'intéresse" sends the request to
 *    the mentor, "Voir un autre profil" never shows that mentor again, "Plus tard" keeps it;
 *  - the mentor gets the request in their channel (Slack) and accepts, declines (a reason is
 *    optional) or answers later, before a deadline with one reminder at two thirds of it;
 *  - at the deadline the request expires, the mentee is told and gets the next proposal; two
 *    expiries in a row pause the mentor and staff are told;
 *  - both said yes: a match, introduced to each in their own channel, with the contact details
 *    each agrees to pass on.
 * Messages to someone other than the person of the turn go through the outbox, keyed by event,
 * so each is sent once whatever crashes or runs twice.
 */
export class Matchmaker {
  constructor(private readonly deps: MatchmakerDeps) {}

  // ---------------------------------------------------------------------------------------------
  // The mentee's side

  /** The mentee's current state, creating their next proposal when they have none. */
  async forMentee(mentee: PersonDoc, t: TFunction): Promise<MenteeView> {
    const { proposals } = this.deps;
    const pointers = mentee.matching ?? {};
    if (pointers.matchId) {
      const match = await proposals.match(pointers.matchId);
      if (match?.status === 'active') {
        const mentor = await this.deps.people.get(match.mentorId);
        return {
          kind: 'matched',
          replies: [
            text(t('proposals:mentee.matched', { name: firstName(mentor) })),
            ...(await this.contactStillAsked(mentee, mentor, match._id, t)),
          ],
        };
      }
    }
    const last = pointers.proposalId ? await proposals.get(pointers.proposalId) : null;
    if (last?.status === 'mentee_interested') {
      const mentor = await this.deps.people.get(last.mentorId);
      const deadline = this.date(last.deadline, t);
      return {
        kind: 'waiting',
        replies: [text(t('proposals:mentee.waiting', { name: firstName(mentor), deadline }))],
      };
    }
    if (last?.status === 'proposed') {
      // Kept with "Plus tard": its mentor may have paused or filled up since.
      const card = (await this.available(last.mentorId)) ? await this.cardOf(last, t) : undefined;
      if (card) return { kind: 'card', proposalId: last._id, replies: [card] };
      await proposals.withdraw(last._id);
    }
    return this.next(mentee, last?._id ?? 'none', t);
  }

  /** The id of the mentee's proposal on screen, if one waits for their answer. */
  async openProposal(mentee: PersonDoc): Promise<string | undefined> {
    const id = mentee.matching?.proposalId;
    const proposal = id ? await this.deps.proposals.get(id) : null;
    return proposal?.status === 'proposed' ? proposal._id : undefined;
  }

  /** The proposal's card, if its mentor is still there. */
  private async cardOf(proposal: ProposalDoc, t: TFunction): Promise<Partial<Activity> | undefined> {
    const mentor = await this.deps.people.get(proposal.mentorId);
    return mentor ? menteeCard(proposal, mentor, t) : undefined;
  }

  /** Whether a mentor can be asked now (not paused, a place left, the charter accepted). */
  private async available(mentorId: string): Promise<boolean> {
    const mentor = await this.deps.candidates.mentor(mentorId);
    return mentor !== undefined && mentorFilter(mentor) === undefined;
  }

  /**
   * The mentee answers a proposal. `next`: show them what comes now (read the person again: their
   * next proposal, or where their request stands).
   */
  async menteeAnswers(
    mentee: PersonDoc,
    proposalId: string,
    verb: MenteeVerb,
    t: TFunction,
  ): Promise<{ replies: Replies; next: boolean }> {
    const { proposals, people } = this.deps;
    const proposal = await proposals.get(proposalId);
    if (!proposal || proposal.menteeId !== mentee._id || proposal.status !== 'proposed')
      return { replies: [text(t('proposals:mentee.no_longer'))], next: true };
    const mentor = await people.get(proposal.mentorId);
    const name = firstName(mentor);
    if (verb === 'later') return { replies: [text(t('proposals:mentee.later', { name }))], next: false };
    if (verb === 'pass') {
      const passed = await proposals.menteeDecides(proposalId, 'passed', this.deps.deadlineMs);
      if (passed) await people.passedOn(mentee._id, proposal.mentorId);
      return { replies: passed ? [text(t('proposals:mentee.passed'))] : [], next: true };
    }
    if (!mentor || !(await this.available(mentor._id))) {
      await proposals.withdraw(proposalId);
      return { replies: [text(t('proposals:mentee.unavailable', { name }))], next: true };
    }
    if (!(await proposals.menteeDecides(proposalId, 'interested', this.deps.deadlineMs)))
      return { replies: [], next: true };
    const requested = (await proposals.get(proposalId)) ?? proposal;
    // A pause at this very moment closes the requests it finds: this one may have come just
    // after. Read again now that it is there, and take it back rather than leave it waiting.
    if ((await people.get(mentor._id))?.status !== 'active') {
      if ((await proposals.mentorDecides(proposalId, 'withdrawn')) !== 'lost')
        await this.finish(requested, 'withdrawn');
      return { replies: [text(t('proposals:mentee.unavailable', { name }))], next: true };
    }
    await this.sendRequest(requested, mentee, mentor, 'request');
    return {
      replies: [
        text(
          t('proposals:mentee.requested', {
            name,
            hours: Math.round(this.deps.deadlineMs / 3600_000),
            deadline: this.date(requested.deadline, t),
          }),
        ),
      ],
      next: false,
    };
  }

  /**
   * The mentee's next proposal after `previous` (their last proposal's id, or 'none'): the mentor
   * the last cohort assignment planned for them if they can still be proposed, else the
   * best-ranked mentor who can. A turn of the mentee and a job (an expiry, a round) may both get
   * here at once: only the first to claim `next|<mentee>|<previous>` proposes, the other shows
   * what it proposed. Nobody left: the mentee is told and staff are alerted.
   */
  private async next(mentee: PersonDoc, previous: string, t: TFunction): Promise<MenteeView> {
    const ranking = await this.deps.candidates.rankFor(mentee._id, TRIED);
    if (ranking && ranking.mentors.length > 0) {
      const key = `next|${mentee._id}|${previous}`;
      if (!(await claim(this.deps.conn, key))) return this.afterOther(mentee, previous, t);
      try {
        const proposal = await this.propose(mentee._id, ranking.mentors);
        if (proposal) {
          await this.deps.people.proposedTo(mentee._id, proposal._id, proposal.mentorId);
          const card = await this.cardOf(proposal, t);
          if (card) return { kind: 'card', proposalId: proposal._id, replies: [card] };
        }
      } catch (err) {
        // Failed half-way (the database): the next look tries again, rather than wait forever on
        // a claim nobody will finish.
        await release(this.deps.conn, key).catch(() => {});
        throw err;
      }
      // Nobody now: the next look (a message, a matching round) tries again.
      await release(this.deps.conn, key);
    }
    // Nobody ranked (nothing to claim), or nobody left once checked: the mentee is told, staff alerted.
    // A job ranking at the same moment with a fresher index may still find someone: its card then
    // follows this message (through the outbox), as after any "nobody yet".
    await this.deps.alerts.raise('no_candidate', mentee._id, { firstName: firstName(mentee) });
    const seen = ranking?.filtered.already_paired ?? 0;
    return {
      kind: 'none',
      replies: [text(t(seen > 0 ? 'proposals:mentee.nobody' : 'proposals:mentee.nobody_yet'))],
    };
  }

  /** Another turn or job is proposing to this mentee: what it proposed, once it is there. */
  private async afterOther(mentee: PersonDoc, previous: string, t: TFunction): Promise<MenteeView> {
    for (let i = 0; i < 20; i++) {
      const fresh = await this.deps.people.get(mentee._id);
      const now = fresh?.matching?.proposalId ?? 'none';
      if (fresh && now !== previous) return this.forMentee(fresh, t);
      await sleep(100);
    }
    return { kind: 'none', replies: [text(t('proposals:mentee.nobody_yet'))] };
  }

  /**
   * A new proposal for the mentee from their ranking (the mentor the last cohort assignment planned
   * for them first, if ranked), if anyone there can still be proposed.
   */
  private async propose(
    menteeId: string,
    ranking: readonly RankedMentor[],
  ): Promise<ProposalDoc | undefined> {
    const { candidates, proposals } = this.deps;
    const planned = await plannedMentor(this.deps.conn, menteeId);
    const ranked = [...ranking];
    const at = planned ? ranked.findIndex((r) => r.mentorId === planned.mentorId) : -1;
    if (at > 0) ranked.unshift(...ranked.splice(at, 1));
    for (const candidate of ranked) {
      // The ranking may be a few seconds old: check the mentor again before proposing them.
      const mentor = await candidates.mentor(candidate.mentorId);
      if (!mentor || mentorFilter(mentor) !== undefined) continue;
      const created = await proposals.propose({
        menteeId,
        mentorId: candidate.mentorId,
        score: candidate.score,
        reasons: candidate.reasons,
      });
      if (created) return created;
    }
    return undefined;
  }

  /**
   * Sends the mentee their next proposal after their request `ended` (declined, expired, no place
   * left; its status may not say so yet), led by `lead`.
   */
  private async offerNext(ended: ProposalDoc, lead: string, params: Record<string, string>, event: string) {
    const mentee = await this.deps.people.get(ended.menteeId);
    // Someone answering their profile again gets their proposals at its end.
    if (!mentee || mentee.status === 'onboarding') return;
    const t = this.t(mentee);
    const view =
      mentee.matching?.proposalId === ended._id
        ? await this.next(mentee, ended._id, t)
        : await this.forMentee(mentee, t);
    const another = view.kind === 'card' ? ` ${t('proposals:mentee.another')}` : '';
    await this.deps.outbox.enqueue(`${event}|${mentee._id}`, { personId: mentee._id }, [
      text(`${t(lead, params)}${another}`),
      ...view.replies,
    ]);
  }

  /**
   * Offers a waiting mentee (told nobody was left, or whose last request ended) a proposal now: a
   * matching round planned a mentor for them. Once per round; nothing when they have one open.
   */
  async offerWaiting(menteeId: string, round: string): Promise<boolean> {
    const mentee = await this.deps.people.get(menteeId);
    if (mentee?.status !== 'active' || mentee.proactive === false) return false;
    const last = mentee.matching?.proposalId
      ? await this.deps.proposals.get(mentee.matching.proposalId)
      : null;
    if (last?.status === 'proposed' || last?.status === 'mentee_interested') return false;
    const t = this.t(mentee);
    const view = await this.forMentee(mentee, t);
    if (view.kind !== 'card') return false;
    return this.deps.outbox.enqueue(`round|${round}|${menteeId}`, { personId: menteeId }, [
      text(t('proposals:mentee.new_profile')),
      ...view.replies,
    ]);
  }

  // ---------------------------------------------------------------------------------------------
  // The mentor's side

  /** The request (or its reminder) to the mentor, once per proposal and kind: true when new. */
  private async sendRequest(
    proposal: ProposalDoc,
    mentee: PersonDoc,
    mentor: PersonDoc,
    kind: 'request' | 'reminder',
  ) {
    const t = this.t(mentor);
    const lead =
      kind === 'reminder'
        ? [
            text(
              t('proposals:request.reminder', {
                name: firstName(mentee),
                deadline: this.date(proposal.deadline, t),
              }),
            ),
          ]
        : [];
    return this.deps.outbox.enqueue(`${kind}|${proposal._id}`, { personId: mentor._id }, [
      ...lead,
      requestCard(proposal, mentee, t, this.deps.timeZone),
    ]);
  }

  /** The requests waiting for this mentor, as cards again (when they come back). */
  async pendingRequests(mentor: PersonDoc, t: TFunction): Promise<Replies> {
    const pending = await this.deps.proposals.pendingFor(mentor._id);
    const cards: Replies = [];
    for (const proposal of pending) {
      const mentee = await this.deps.people.get(proposal.menteeId);
      if (mentee) cards.push(requestCard(proposal, mentee, t, this.deps.timeZone));
    }
    return cards.length > 0 ? [text(t('proposals:request.pending', { count: cards.length })), ...cards] : [];
  }

  /** The mentor answers a request. */
  async mentorAnswers(
    mentor: PersonDoc,
    proposalId: string,
    verb: MentorVerb,
    t: TFunction,
  ): Promise<Replies> {
    const { proposals, people } = this.deps;
    const proposal = await proposals.get(proposalId);
    if (!proposal || proposal.mentorId !== mentor._id) return [text(t('common:ask.stale_button'))];
    const mentee = await people.get(proposal.menteeId);
    const name = firstName(mentee);
    if (verb === 'later') {
      if (proposal.status !== 'mentee_interested') return [text(t('proposals:already'))];
      return [text(t('proposals:request.later', { deadline: this.date(proposal.deadline, t) }))];
    }
    if (verb === 'decline') {
      if ((await proposals.mentorDecides(proposalId, 'declined')) === 'lost')
        return this.decided(proposalId, t);
      await this.finish(proposal, 'declined');
      return [text(t('proposals:request.declined', { name })), declineReasonsCard(proposalId, t)];
    }
    const outcome = await proposals.mentorAccepts(proposalId, capacity(mentor.profile));
    switch (outcome.kind) {
      case 'matched': {
        await this.matched(proposal, mentor, outcome.match._id, { mentee });
        return introduction(mentee, outcome.match._id, 'mentor', t);
      }
      case 'full':
        await this.mentorFull(proposal, mentor);
        return [text(t('proposals:request.full', { name }))];
      case 'mentee_taken':
        return [text(t('proposals:request.mentee_taken', { name }))];
      case 'decided':
        return this.decided(proposalId, t);
      case 'not_requested':
        return [text(t('common:ask.stale_button'))];
    }
  }

  private async decided(proposalId: string, t: TFunction): Promise<Replies> {
    const status = (await this.deps.proposals.get(proposalId))?.status;
    const key =
      status === 'expired'
        ? 'proposals:request.too_late'
        : status === 'mentor_full'
          ? 'proposals:request.no_place'
          : status === 'mentor_paused' || status === 'withdrawn'
            ? 'proposals:request.closed'
            : 'proposals:already';
    return [text(t(key))];
  }

  /** The mentor's optional reason for declining. */
  async declineReason(mentor: PersonDoc, proposalId: string, reason: string, t: TFunction): Promise<Replies> {
    const proposal = await this.deps.proposals.get(proposalId);
    if (proposal?.mentorId !== mentor._id || !isOneOf(DECLINE_REASONS, reason))
      return [text(t('common:ask.stale_button'))];
    const recorded = await this.deps.proposals.declineReason(proposalId, reason);
    return [text(t(recorded ? 'proposals:reason.thanks' : 'proposals:already'))];
  }

  // ---------------------------------------------------------------------------------------------
  // The match

  private async introduce(me: PersonDoc, other: PersonDoc, matchId: string, role: 'mentee' | 'mentor') {
    await this.deps.outbox.enqueue(
      `intro|${matchId}|${me._id}`,
      { personId: me._id },
      introduction(other, matchId, role, this.t(me)),
    );
  }

  /** The other person of `matchId`, if `me` is in this active pair. */
  async pairOf(me: PersonDoc, matchId: string): Promise<PersonDoc | undefined> {
    const match = await this.deps.proposals.match(matchId);
    if (match?.status !== 'active') return undefined;
    const otherId =
      match.menteeId === me._id ? match.mentorId : match.mentorId === me._id ? match.menteeId : undefined;
    return otherId ? ((await this.deps.people.get(otherId)) ?? undefined) : undefined;
  }

  /**
   * The contact question again, while `me` has not answered it: its card's buttons went with the
   * first press, and an answer left half-way (another card pressed meanwhile) must not be a dead end.
   */
  private async contactStillAsked(
    me: PersonDoc,
    other: PersonDoc | null,
    matchId: string,
    t: TFunction,
  ): Promise<Replies> {
    return (await this.hasShared(me, matchId)) ? [] : [contactCard(other, matchId, t)];
  }

  /** The active matches of `me` (a mentee's one, a mentor's) whose contact question is unanswered. */
  async contactAsked(me: PersonDoc): Promise<MatchDoc[]> {
    const { proposals } = this.deps;
    let matches: MatchDoc[] = [];
    if (me.role === 'mentor') matches = await proposals.activeMatches(me._id);
    else if (me.matching?.matchId) {
      const match = await proposals.match(me.matching.matchId);
      if (match?.status === 'active') matches = [match];
    }
    const asked = await Promise.all(matches.map(async (m) => !(await this.hasShared(me, m._id))));
    return matches.filter((_, i) => asked[i]);
  }

  /** A mentor's pairs whose contact question they have not answered yet, as cards again. */
  async contactsStillAsked(mentor: PersonDoc, t: TFunction): Promise<Replies> {
    const replies: Replies = [];
    for (const match of await this.contactAsked(mentor)) {
      const mentee = await this.deps.people.get(match.menteeId);
      replies.push(contactCard(mentee, match._id, t));
    }
    return replies;
  }

  /** Whether `me` already passed their contact details (or chose the Hub) for this match. */
  async hasShared(me: PersonDoc, matchId: string): Promise<boolean> {
    return (await claimed(this.deps.conn, `contact|${matchId}|${me._id}`)) !== null;
  }

  /**
   * Passes `me`'s contact details on to the other of the pair (or tells them the hub will put them
   * in touch, and staff), once per match and person.
   */
  async shareContact(
    me: PersonDoc,
    matchId: string,
    details: { email?: string; phone?: string },
  ): Promise<boolean> {
    const other = await this.pairOf(me, matchId);
    if (!other) return false;
    const t = this.t(other);
    const name = firstName(me);
    const lines = [
      details.email ? t('proposals:contact.line_email', { value: details.email }) : '',
      details.phone ? t('proposals:contact.line_phone', { value: details.phone }) : '',
    ].filter(Boolean);
    const body =
      lines.length > 0
        ? `${t('proposals:contact.shared', { name })}\n${lines.join('\n')}`
        : t('proposals:contact.via_hub', { name });
    // Once per match and person, also after the outbox has forgotten the message (a month).
    if (!(await claim(this.deps.conn, `contact|${matchId}|${me._id}`))) return false;
    if (lines.length === 0) await this.deps.alerts.raise('contact_via_hub', me._id, { matchId }, matchId);
    return this.deps.outbox.enqueue(`contact|${matchId}|${me._id}`, { personId: other._id }, [text(body)]);
  }

  // ---------------------------------------------------------------------------------------------
  // Deadlines

  /** Sends the reminders that are due, once each. Returns how many. */
  async sendReminders(): Promise<number> {
    let sent = 0;
    for (const proposal of await this.deps.proposals.remindersDue()) {
      await this.each(proposal, 'reminder', async () => {
        const [mentee, mentor] = await Promise.all([
          this.deps.people.get(proposal.menteeId),
          this.deps.people.get(proposal.mentorId),
        ]);
        // A paused mentor's requests are closed as they pause: this one is on its way out.
        const due = mentee && mentor?.status === 'active';
        // The reminder's delivery key makes it once per proposal, whichever process runs the job.
        if (due && (await this.sendRequest(proposal, mentee, mentor, 'reminder'))) sent++;
        await this.deps.proposals.reminded(proposal._id);
      });
    }
    return sent;
  }

  /** One request's step of a job: a failure is logged, and the job goes on with the others. */
  private async each(proposal: ProposalDoc, what: string, step: () => Promise<void>): Promise<void> {
    try {
      await step();
    } catch (err) {
      this.deps.log.error({ err, proposal: proposal._id, what }, 'proposal deadlines: one request failed');
    }
  }

  /**
   * Expires the requests past their deadline (see `finish`), and finishes a decline or a "no
   * place left" whose follow-ups a crash interrupted. Returns how many expired.
   */
  async expireDue(): Promise<number> {
    const { proposals } = this.deps;
    let expired = 0;
    for (const proposal of await proposals.due()) {
      await this.each(proposal, 'expiry', async () => {
        if ((await proposals.mentorDecides(proposal._id, 'expired')) !== 'lost') {
          await this.finish(proposal, 'expired');
          expired++;
          return;
        }
        const decided = await proposals.mentorDecision(proposal._id);
        if (isMentorDecision(decided)) await this.finish(proposal, decided);
        else if (decided === 'accepted') await this.resumeAcceptance(proposal);
      });
    }
    return expired;
  }

  /**
   * An acceptance a crash interrupted, finished: the pair is made (or the request closes, as it
   * would have), and both are told through the outbox, the mentor's own reply having been lost.
   */
  private async resumeAcceptance(proposal: ProposalDoc): Promise<void> {
    const { people, proposals } = this.deps;
    const mentor = await people.get(proposal.mentorId);
    if (!mentor) return;
    const outcome = await proposals.resumeAcceptance(proposal._id, capacity(mentor.profile));
    this.deps.log.warn(
      { proposal: proposal._id, outcome: outcome.kind },
      'an interrupted acceptance resumed',
    );
    if (outcome.kind === 'matched')
      await this.matched(proposal, mentor, outcome.match._id, { tellMentor: true });
    else if (outcome.kind === 'full') await this.mentorFull(proposal, mentor);
  }

  /** No place left when the mentor said yes: the mentee is told and gets their next proposal. */
  private async mentorFull(proposal: ProposalDoc, mentor: PersonDoc): Promise<void> {
    await this.offerNext(
      proposal,
      'proposals:mentee.mentor_full',
      { name: firstName(mentor) },
      `full|${proposal._id}`,
    );
  }

  /**
   * Both said yes: their pointers, rankings, the mentee's introduction (and the mentor's, when it
   * cannot be the reply of their turn), and the mentor's other requests if no place is left.
   */
  private async matched(
    proposal: ProposalDoc,
    mentor: PersonDoc,
    matchId: string,
    opts: { mentee?: PersonDoc | null; tellMentor?: boolean },
  ) {
    const { people } = this.deps;
    await people.setMatching(mentor._id, { expiredInARow: 0 });
    await people.setMatching(proposal.menteeId, { matchId });
    await this.deps.candidates.invalidate();
    const mentee = opts.mentee !== undefined ? opts.mentee : await people.get(proposal.menteeId);
    const tellMentor = opts.tellMentor === true;
    if (mentee) await this.introduce(mentee, mentor, matchId, 'mentee');
    if (mentee && tellMentor) await this.introduce(mentor, mentee, matchId, 'mentor');
    await this.closeIfFull(mentor);
  }

  /**
   * What follows a request that ends without a match: the mentee is told and gets their next
   * proposal; after an expiry the mentor is told, and paused after a second expiry in a row (staff
   * are told). Every message is keyed by the proposal in the outbox, so running this again after
   * a crash sends nothing twice; the proposal's status changes last.
   */
  private async finish(proposal: ProposalDoc, decision: MentorDecision): Promise<void> {
    const { people, proposals } = this.deps;
    const [mentor, mentee] = await Promise.all([
      people.get(proposal.mentorId),
      people.get(proposal.menteeId),
    ]);
    const told = MENTEE_TOLD[decision];
    if (told)
      await this.offerNext(proposal, told, { name: firstName(mentor) }, `${decision}|${proposal._id}`);
    if (mentor && decision === 'declined') await people.setMatching(mentor._id, { expiredInARow: 0 });
    // Counted once toward a pause, also when a crash makes this run again; not while paused
    // already (a mentor who resumes starts with a clean slate).
    if (mentor && decision === 'expired' && (await claim(this.deps.conn, `counted|${proposal._id}`))) {
      const inARow = mentor.status === 'active' ? (mentor.matching?.expiredInARow ?? 0) + 1 : 0;
      const paused = inARow >= 2 && (await people.setStatus(mentor._id, 'paused', 'active'));
      await people.setMatching(mentor._id, { expiredInARow: paused ? 0 : inARow });
      if (paused) {
        await this.deps.candidates.invalidate();
        await this.closeRequests(mentor, 'paused');
        await this.deps.alerts.raise(
          'mentor_paused',
          mentor._id,
          { firstName: firstName(mentor) },
          proposal._id,
        );
      }
      const t = this.t(mentor);
      await this.deps.outbox.enqueue(`expired|${proposal._id}|mentor`, { personId: mentor._id }, [
        text(t('proposals:request.expired', { name: firstName(mentee) })),
        ...(paused ? [text(t('proposals:request.paused'))] : []),
      ]);
    }
    await proposals.settle(proposal._id, decision);
    // The request held a place of the mentor's capacity: rankings here see it free at once.
    if (decision !== 'full') await this.deps.candidates.invalidate();
  }

  /**
   * A mentor pauses or comes back (Slack's App Home, /tandem): false when their status was not
   * `from` any more. Every process's next ranking sees it.
   */
  async setMentorStatus(
    mentorId: string,
    to: 'active' | 'paused',
    from: 'active' | 'paused',
  ): Promise<boolean> {
    const { people } = this.deps;
    const changed = await people.setStatus(mentorId, to, from);
    if (!changed) return false;
    await this.deps.candidates.invalidate();
    const mentor = await people.get(mentorId);
    // Paused: the mentees waiting for them go on at once. Back: counted afresh toward a pause.
    if (mentor && to === 'paused') await this.closeRequests(mentor, 'paused');
    if (to === 'active') await people.setMatching(mentorId, { expiredInARow: 0 });
    return true;
  }

  /**
   * A mentee answers their profile again ("recommencer"): the request waiting for a mentor is
   * withdrawn, so that the mentor is not asked about answers no longer there.
   */
  async menteeRestarts(mentee: PersonDoc): Promise<void> {
    const id = mentee.matching?.proposalId;
    const proposal = id ? await this.deps.proposals.get(id) : null;
    if (proposal?.status !== 'mentee_interested') return;
    if ((await this.deps.proposals.mentorDecides(proposal._id, 'withdrawn')) !== 'lost')
      await this.finish(proposal, 'withdrawn');
  }

  /**
   * A profile was edited: rankings are built again, and a mentor who lowered their capacity below
   * their pairs has their waiting requests closed now rather than at their deadline.
   */
  async profileChanged(person: PersonDoc): Promise<void> {
    await this.deps.candidates.invalidate();
    if (person.role === 'mentor') await this.closeIfFull(person);
  }

  /** A mentor whose places are all taken: the requests still waiting for them close kindly. */
  private async closeIfFull(mentor: PersonDoc): Promise<void> {
    if ((await this.deps.proposals.activeMatches(mentor._id)).length < capacity(mentor.profile)) return;
    await this.closeRequests(mentor, 'full');
  }

  /** Closes the requests waiting for `mentor`: each mentee is told and gets their next proposal. */
  private async closeRequests(mentor: PersonDoc, decision: 'full' | 'paused'): Promise<void> {
    const { proposals } = this.deps;
    for (const waiting of await proposals.pendingFor(mentor._id))
      if ((await proposals.mentorDecides(waiting._id, decision)) !== 'lost')
        await this.finish(waiting, decision);
  }

  /** The scheduled job of the deadlines: reminders, then expiries, every minute. */
  job(): Job {
    return {
      name: 'proposal-deadlines',
      everyMs: 60_000,
      run: async () => {
        // Expiries first: a request past its deadline is not reminded of it.
        const expired = await this.expireDue();
        const reminded = await this.sendReminders();
        if (reminded + expired > 0) this.deps.log.info({ reminded, expired }, 'proposal deadlines');
      },
    };
  }

  // ---------------------------------------------------------------------------------------------

  private t(person: PersonDoc): TFunction {
    return this.deps.i18n.getFixedT(toLocale(person.locale)) as TFunction;
  }

  private date(at: Date | undefined, t: TFunction): string {
    return formatDate(at, t, this.deps.timeZone);
  }
}
