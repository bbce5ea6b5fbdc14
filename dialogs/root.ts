import {
  ComponentDialog,
  type DialogContext,
  type DialogTurnResult,
  DialogTurnStatus,
  WaterfallDialog,
} from 'botbuilder-dialogs';
import { type Command, recognizeCommand } from '../bot/engine/commands.js';
import { text } from '../bot/engine/reply.js';
import { type Turn, turnOf } from '../bot/engine/turn.js';
import type { Profile } from '../models/person.js';
import { AskDialog } from './ask.js';
import { CHARTER, CharterDialog, hasCurrentCharter } from './charter.js';
import { MenteeOnboardingDialog, ONBOARDING_MENTEE } from './onboarding-mentee.js';
import { MentorOnboardingDialog, ONBOARDING_MENTOR, saved } from './onboarding-mentor.js';
import { tk } from './questions.js';
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
        idle: tk('mentor:idle'),
        charterDeclined: tk('mentor:charter_declined'),
        edit: 'edit_mentor',
      }
    : {
        help: tk('common:help'),
        idle: tk('common:idle'),
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
          await turn.services.people.saveProfile(turn.person._id, saved(step.result as Profile));
          await step.context.sendActivity(text(turn.t('common:profile_saved')));
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
            return step.beginDialog(onboardingOf(turn));
          }
          if (status === 'minor') {
            await step.context.sendActivity(text(turn.t('onboarding:minor_again')));
            return step.endDialog();
          }
          if (status === 'declined_charter' || !(await hasCurrentCharter(step.context))) {
            if (status !== 'declined_charter')
              await step.context.sendActivity(text(turn.t('charter:new_version')));
            return step.beginDialog(CHARTER);
          }
          await step.context.sendActivity(text(turn.t(wordsFor(turn).idle)));
          return step.endDialog();
        },
        async (step) => {
          const turn = turnOf(step.context);
          if (step.result === true) {
            // A mentor who paused stays paused: accepting a new charter is not resuming.
            if (turn.person.status !== 'paused')
              await turn.services.people.setStatus(turn.person._id, 'active');
            await step.context.sendActivity(text(turn.t('charter:thanks')));
          } else if (step.result === false) {
            await turn.services.people.setStatus(turn.person._id, 'declined_charter');
            await step.context.sendActivity(text(turn.t(wordsFor(turn).charterDeclined)));
          }
          return step.endDialog();
        },
      ]),
    );
    this.initialDialogId = 'route';
  }

  protected override async onBeginDialog(
    innerDc: DialogContext,
    options?: object,
  ): Promise<DialogTurnResult> {
    return (await this.command(innerDc)) ?? super.onBeginDialog(innerDc, options);
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
    const command =
      activity.type === 'message' && !activity.value ? recognizeCommand(activity.text) : undefined;
    if (!command) return undefined;
    const turn = turnOf(dc.context);
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
        await say('common:restart');
        await dc.cancelAllDialogs();
        const consent = turn.services.consents.latest(turn.person, 'data_processing');
        // The answers are asked again from the start: forget those already saved too.
        await turn.services.people.clearProfile(turn.person._id, 'onboarding');
        return dc.beginDialog(onboardingOf(turn), { skipConsent: consent?.decision === 'accepted' });
      },
      stop: async () => {
        await turn.services.people.setProactive(turn.person._id, false);
        await say('common:stopped');
        return settle();
      },
      resume: async () => {
        await turn.services.people.setProactive(turn.person._id, true);
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
