import type { Activity } from 'botbuilder';
import { Dialog, type DialogContext, type DialogTurnResult } from 'botbuilder-dialogs';
import { text } from '../bot/engine/reply.js';
import { type Turn, turnOf } from '../bot/engine/turn.js';
import { MENTEE_VERBS, type MenteeVerb } from '../bot/services/matching-cards.js';
import { typedChoice } from './ask.js';
import { activeInstance } from './instance.js';

export const PROPOSALS = 'proposals';

export interface ProposalsOptions {
  /** A press on a proposal card's button (from any message, however old). */
  act?: { proposalId: string; verb: MenteeVerb };
  /** Say first that proposals start now (the end of the onboarding). */
  first?: boolean;
}

interface ProposalsState {
  /** The proposal on screen, which a typed answer is about. */
  proposalId?: string;
}

/**
 * The mentee's side of the matching: one mentor at a time, as a card with its reasons. Ends when
 * nothing is left to answer (a request sent, "plus tard", nobody left, a pair); waits while a
 * card is on screen, for a button or a typed "ça m'intéresse" / "un autre profil" / "plus tard".
 */
export class ProposalsDialog extends Dialog<ProposalsOptions> {
  constructor() {
    super(PROPOSALS);
  }

  override async beginDialog(dc: DialogContext, options: ProposalsOptions = {}): Promise<DialogTurnResult> {
    const turn = turnOf(dc.context);
    const state: ProposalsState = {};
    activeInstance(dc).state = state;
    if (options.act) return this.answer(dc, options.act.proposalId, options.act.verb);
    // A typed answer to a card that came proactively (after a decline or an expiry); never the
    // answer that ended the onboarding (`first`), which is not about a card.
    const typed = options.first ? undefined : verbOf(dc.context.activity, turn);
    const open = typed ? await turn.services.matchmaker.openProposal(turn.person) : undefined;
    if (typed && open) return this.answer(dc, open, typed);
    return this.show(dc, options.first === true);
  }

  override async continueDialog(dc: DialogContext): Promise<DialogTurnResult> {
    const turn = turnOf(dc.context);
    const state = activeInstance(dc).state as ProposalsState;
    const activity = dc.context.activity;
    if (activity.type !== 'message' || !state.proposalId) return Dialog.EndOfTurn;
    const verb = verbOf(activity, turn);
    if (verb) return this.answer(dc, state.proposalId, verb);
    await dc.context.sendActivity(text(turn.t('proposals:mentee.hint')));
    return Dialog.EndOfTurn;
  }

  override async repromptDialog(context: DialogContext['context']): Promise<void> {
    await context.sendActivity(text(turnOf(context).t('proposals:mentee.hint')));
  }

  private async answer(dc: DialogContext, proposalId: string, verb: MenteeVerb): Promise<DialogTurnResult> {
    const turn = turnOf(dc.context);
    const { replies, next } = await turn.services.matchmaker.menteeAnswers(
      turn.person,
      proposalId,
      verb,
      turn.t,
    );
    await dc.context.sendActivities(replies);
    if (!next) return dc.endDialog();
    // What comes now depends on where the person stands after this answer (and any job's).
    turn.person = (await turn.services.people.get(turn.person._id)) ?? turn.person;
    return this.show(dc);
  }

  private async show(dc: DialogContext, first = false): Promise<DialogTurnResult> {
    const turn = turnOf(dc.context);
    const view = await turn.services.matchmaker.forMentee(turn.person, turn.t);
    if (first && view.kind === 'card') await dc.context.sendActivity(text(turn.t('proposals:mentee.intro')));
    await dc.context.sendActivities(view.replies);
    if (view.kind !== 'card') return dc.endDialog();
    (activeInstance(dc).state as ProposalsState).proposalId = view.proposalId;
    return Dialog.EndOfTurn;
  }
}

/** A typed answer to a proposal card, recognized like any choice (labels, synonyms, typos). */
function verbOf(activity: Partial<Activity>, turn: Turn): MenteeVerb | undefined {
  // "Ça ne m'intéresse pas", "pourquoi pas": never a request sent to a mentor by mistake.
  return typedChoice(activity, MENTEE_VERBS, (verb) => [
    turn.t(`proposals:card.${verb}`),
    ...turn.t(`proposals:card.${verb}_aliases`).split('|'),
  ]);
}
