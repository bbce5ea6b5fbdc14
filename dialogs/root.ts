import {
  ComponentDialog,
  type DialogContext,
  type DialogTurnResult,
  DialogTurnStatus,
  WaterfallDialog,
  type WaterfallStepContext,
} from 'botbuilder-dialogs';
import { type Command, recognizeCommand } from '../bot/engine/commands.js';
import type { RestartOptions } from '../bot/engine/conversation.js';
import { isButtonValue, text } from '../bot/engine/reply.js';
import { type Turn, turnOf } from '../bot/engine/turn.js';
import {
  CONTACT_CHOICES,
  isOneOf,
  MENTEE_VERBS,
  MENTOR_VERBS,
  parseAction,
} from '../bot/services/matching-cards.js';
import type { Profile } from '../models/person.js';
import { ASK, AskDialog, typedChoice } from './ask.js';
import { CHARTER, CharterDialog, hasCurrentCharter } from './charter.js';
import { CONTACT, ContactDialog } from './contact.js';
import { MenteeOnboardingDialog, ONBOARDING_MENTEE } from './onboarding-mentee.js';
import { MentorOnboardingDialog, ONBOARDING_MENTOR, saved } from './onboarding-mentor.js';
import { PROPOSALS, ProposalsDialog } from './proposals.js';
import { tk } from './questions.js';
import { afterRestart, onboardingOptions } from './resume.js';
import { SUMMARY, SummaryDialog } from './summary.js';

export const ROOT = 'root';

const isMentor = (turn: Turn) => turn.person.role === 'mentor';

/** The onboarding of the person's role (staff, who never onboard here, get the mentee's). */
const onboardingOf = (turn: Turn) => (isMentor(turn) ? ONBOARDING_MENTOR : ONBOARDING_MENTEE);

/** The texts that are not the same for a mentor. */
const wordsFor = (turn: Turn) =>
  isMentor(turn)
    ? {
        help: tk('mentor:help'),
        charterDeclined: tk('mentor:charter_declined'),
        edit: 'edit_mentor',
      }
    : {
        help: tk('common:help'),
        charterDeclined: tk('charter:declined'),
        edit: 'edit_mentee',
      };

/** An `edit_profile` event (a button outside the conversation, such as Slack's App Home). */
const EDIT = 'edit-profile';

/**
 * The base of every conversation. It handles the global commands once, for every step of every
 * dialog below it, and routes a person to what they need next: the onboarding, the charter again
 * when its version changed, or a word on what happens next.
 */
export class RootDialog extends ComponentDialog {
  constructor() {
    super(ROOT);
    this.addDialog(new MenteeOnboardingDialog());
    this.addDialog(new MentorOnboardingDialog());
    this.addDialog(new AskDialog());
    this.addDialog(new CharterDialog());
    this.addDialog(new SummaryDialog());
    this.addDialog(new ProposalsDialog());
    this.addDialog(new ContactDialog());
    this.addDialog(
      new WaterfallDialog(RESTART, [
        (step) => step.beginDialog(ASK, { q: 'restart' }),
        async (step) => {
          if (step.result === 'yes') return restart(step);
          await step.context.sendActivity(text(turnOf(step.context).t('common:restart_confirm.kept')));
          return step.endDialog();
        },
      ]),
    );
    this.addDialog(
      new WaterfallDialog(EDIT, [
        async (step) => {
          const turn = turnOf(step.context);
          return step.beginDialog(SUMMARY, {
            answers: turn.person.profile,
            editQuestion: wordsFor(turn).edit,
          });
        },
        async (step) => {
          const turn = turnOf(step.context);
          const profile = saved(step.result as Profile);
          await turn.services.people.saveProfile(turn.person._id, profile);
          await step.context.sendActivity(text(turn.t('common:profile_saved')));
          // What the matching knows of them changed (sectors, capacity…).
          await turn.services.matchmaker.profileChanged({ ...turn.person, profile });
          return step.endDialog();
        },
      ]),
    );
    this.addDialog(
      new WaterfallDialog('route', [
        async (step) => {
          const turn = turnOf(step.context);
          const { status } = turn.person;
          if (status === 'onboarding' || status === 'declined_consent') {
            return step.beginDialog(onboardingOf(turn), onboardingOptions(turn));
          }
          if (status === 'minor') {
            await step.context.sendActivity(text(turn.t('onboarding:minor_again')));
            return step.endDialog();
          }
          if (status === 'declined_charter' || !hasCurrentCharter(step.context)) {
            if (status !== 'declined_charter')
              await step.context.sendActivity(text(turn.t('charter:new_version')));
            return step.beginDialog(CHARTER);
          }
          return this.idle(step);
        },
        async (step) => {
          const turn = turnOf(step.context);
          // A mentor who can now be proposed (onboarded, or a charter accepted again), once their
          // status says so (written with the charter's decision): every process's next ranking
          // sees them.
          if (isMentor(turn) && (step.result === true || step.result === 'done'))
            await turn.services.candidates.invalidate();
          if (step.result === true) {
            await step.context.sendActivity(text(turn.t('charter:thanks')));
            if (!isMentor(turn)) return step.beginDialog(PROPOSALS);
            // A charter accepted again: what waits for the mentor (a request pressed before the
            // charter was asked is shown again, not lost).
            const { matchmaker } = turn.services;
            await step.context.sendActivities([
              ...(await matchmaker.pendingRequests(turn.person, turn.t)),
              ...(await matchmaker.contactsStillAsked(turn.person, turn.t)),
            ]);
          } else if (step.result === 'done' && !isMentor(turn)) {
            // The end of the mentee's onboarding: the first proposal comes at once.
            return step.beginDialog(PROPOSALS, { first: true });
          } else if (step.result === false) {
            await step.context.sendActivity(text(turn.t(wordsFor(turn).charterDeclined)));
          }
          return step.endDialog();
        },
      ]),
    );
    this.initialDialogId = 'route';
  }

  /**
   * Someone active with nothing pending: a mentee sees where their matching stands (or their next
   * proposal); a mentor finds the requests and contact questions waiting for them, or hears what
   * happens next.
   */
  private async idle(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const turn = turnOf(step.context);
    // The contact question answered by typing ("mon e-mail"), when one pair asks it.
    const choice = typedChoice(step.context.activity, CONTACT_CHOICES, (c) => [
      turn.t(`proposals:contact.${c}`),
      ...turn.t(`proposals:contact.typed.${c}`).split('|'),
    ]);
    if (choice) {
      const asked = await turn.services.matchmaker.contactAsked(turn.person);
      if (asked.length === 1 && asked[0]) return step.beginDialog(CONTACT, { matchId: asked[0]._id, choice });
    }
    if (!isMentor(turn)) return step.beginDialog(PROPOSALS);
    const { matchmaker, proposals } = turn.services;
    // An answer typed to the one request waiting ("j'accepte", "je décline", "plus tard"), as the
    // buttons would; with several waiting, the buttons say which.
    const verb = typedChoice(step.context.activity, MENTOR_VERBS, (v) => [
      turn.t(`proposals:request.button.${v}`),
      ...turn.t(`proposals:request.typed.${v}`).split('|'),
    ]);
    if (verb) {
      const waiting = await proposals.pendingFor(turn.person._id);
      if (waiting.length === 1 && waiting[0]) {
        await step.context.sendActivities(
          await matchmaker.mentorAnswers(turn.person, waiting[0]._id, verb, turn.t),
        );
        return step.endDialog();
      }
    }
    const open = [
      ...(await matchmaker.pendingRequests(turn.person, turn.t)),
      ...(await matchmaker.contactsStillAsked(turn.person, turn.t)),
    ];
    await step.context.sendActivities(open.length > 0 ? open : [text(turn.t('mentor:idle'))]);
    return step.endDialog();
  }

  /**
   * A press on a card's button (a proposal, a request, a reason, contact details), however old the
   * card: it is answered whatever the person is doing. A mentor's answer takes one turn and the
   * question they were on is asked again; a mentee's proposal and the contact details go on as
   * their own conversation.
   */
  private async act(dc: DialogContext, kind: string, id: string, v: string): Promise<DialogTurnResult> {
    const turn = turnOf(dc.context);
    const active = turn.person.status === 'active' || turn.person.status === 'paused';
    const { matchmaker } = turn.services;
    if (active && kind === 'proposal' && isOneOf(MENTEE_VERBS, v)) {
      await dc.cancelAllDialogs();
      return dc.beginDialog(PROPOSALS, { act: { proposalId: id, verb: v } });
    }
    if (active && kind === 'contact' && isOneOf(CONTACT_CHOICES, v)) {
      await dc.cancelAllDialogs();
      return dc.beginDialog(CONTACT, { matchId: id, choice: v });
    }
    let replies = [text(turn.t('common:ask.stale_button'))];
    if (active && kind === 'request' && isOneOf(MENTOR_VERBS, v))
      replies = await matchmaker.mentorAnswers(turn.person, id, v, turn.t);
    else if (active && kind === 'decline')
      replies = await matchmaker.declineReason(turn.person, id, v, turn.t);
    await dc.context.sendActivities(replies);
    if (dc.activeDialog) {
      await dc.repromptDialog();
      return { status: DialogTurnStatus.waiting };
    }
    return { status: DialogTurnStatus.complete };
  }

  protected override async onBeginDialog(
    innerDc: DialogContext,
    options?: object,
  ): Promise<DialogTurnResult> {
    const restart = options as Partial<RestartOptions> | undefined;
    if (restart?.restartedFrom !== undefined) await afterRestart(innerDc.context, restart as RestartOptions);
    return (await this.command(innerDc)) ?? super.onBeginDialog(innerDc);
  }

  protected override async onContinueDialog(innerDc: DialogContext): Promise<DialogTurnResult> {
    return (await this.command(innerDc)) ?? super.onContinueDialog(innerDc);
  }

  /** Handles a global command, or returns undefined when the message is not one. */
  private async command(dc: DialogContext): Promise<DialogTurnResult | undefined> {
    const activity = dc.context.activity;
    if (activity.type === 'event' && activity.name === 'edit_profile') {
      const { status } = turnOf(dc.context).person;
      // Only a finished profile is edited this way; during the onboarding, the question is asked again.
      if (status !== 'active' && status !== 'paused') return undefined;
      await dc.cancelAllDialogs();
      return dc.beginDialog(EDIT);
    }
    const action =
      activity.type === 'message' && isButtonValue(activity.value)
        ? parseAction(activity.value.q)
        : undefined;
    const command =
      activity.type === 'message' && !activity.value ? recognizeCommand(activity.text) : undefined;
    // A new version of the charter is asked at the next contact, before anything else is done (a
    // card pressed, an answer to a proposal waiting on the stack); a global command still works.
    if (!command && charterOutdated(dc)) {
      await dc.cancelAllDialogs();
      return dc.beginDialog(this.initialDialogId);
    }
    if (action && isButtonValue(activity.value))
      return this.act(dc, action.kind, action.id, activity.value.v);
    if (!command) return undefined;
    const turn = turnOf(dc.context);
    // "Reprendre" resumes only someone who stopped; otherwise it is an answer ("reprendre" an
    // existing business, at the goal question; "resume", a CV, for a mentor's skills).
    if (command === 'resume' && turn.person.proactive !== false) return undefined;
    const say = (key: string) => dc.context.sendActivity(text(turn.t(key)));
    // With a question pending, ask it again and wait; with none, the root ends and the next
    // message starts afresh, except for a newcomer (e.g. "aide" as a first message): the
    // onboarding starts now, so that the help is followed by the first question.
    const settle = (): DialogTurnResult => ({
      status: dc.activeDialog ? DialogTurnStatus.waiting : DialogTurnStatus.complete,
    });
    const reprompt = async (): Promise<DialogTurnResult> => {
      if (dc.activeDialog) await dc.repromptDialog();
      else if (turn.person.status === 'onboarding') return dc.beginDialog(this.initialDialogId);
      return settle();
    };
    const handlers: Record<Command, () => Promise<DialogTurnResult>> = {
      help: async () => {
        await say(wordsFor(turn).help);
        return reprompt();
      },
      restart: async () => {
        const { status } = turn.person;
        // A finished profile (a mentee followed, a mentor with pairs) is not erased on one word:
        // the person confirms first; "recommencer" again at that question is confirmation enough.
        if ((status === 'active' || status === 'paused') && !dc.stack.some((d) => d.id === RESTART)) {
          await dc.cancelAllDialogs();
          return dc.beginDialog(RESTART);
        }
        return restart(dc);
      },
      stop: async () => {
        await turn.services.people.setProactive(turn.person._id, false);
        if (isMentor(turn)) await turn.services.candidates.invalidate();
        await say('common:stopped');
        return settle();
      },
      resume: async () => {
        await turn.services.people.setProactive(turn.person._id, true);
        if (isMentor(turn)) await turn.services.candidates.invalidate();
        await say('common:resumed');
        return reprompt();
      },
      my_data: async () => {
        await say('common:coming_soon.my_data');
        return reprompt();
      },
      delete_account: async () => {
        await say('common:coming_soon.delete_account');
        return reprompt();
      },
    };
    turn.log.info({ command }, 'global command');
    return handlers[command]();
  }
}

const RESTART = 'restart_confirm';

/** Someone onboarded whose charter is not the current version, and who is not being asked it. */
function charterOutdated(dc: DialogContext): boolean {
  const { person } = turnOf(dc.context);
  if (person.status !== 'active' && person.status !== 'paused') return false;
  // Not while the charter is being asked, nor during a restart's confirmation or an edit.
  return !hasCurrentCharter(dc.context) && !dc.stack.some((d) => [CHARTER, RESTART, EDIT].includes(d.id));
}

/** Starts the onboarding again from the first question, the answers saved forgotten. */
async function restart(dc: DialogContext): Promise<DialogTurnResult> {
  const turn = turnOf(dc.context);
  await dc.context.sendActivity(text(turn.t('common:restart')));
  await dc.cancelAllDialogs();
  const consent = turn.services.consents.latest(turn.person, 'data_processing');
  // A request waiting for a mentor was made with answers about to go.
  if (!isMentor(turn)) await turn.services.matchmaker.menteeRestarts(turn.person);
  // The answers are asked again from the start: forget those already saved too.
  await turn.services.people.clearProfile(turn.person._id, 'onboarding');
  return dc.beginDialog(onboardingOf(turn), { skipConsent: consent?.decision === 'accepted' });
}
