import { ComponentDialog, WaterfallDialog, type WaterfallStepContext } from 'botbuilder-dialogs';
import { text } from '../bot/engine/reply.js';
import { turnOf } from '../bot/engine/turn.js';
import type { Profile } from '../models/person.js';
import { ASK, AskDialog } from './ask.js';
import { CHARTER, CharterDialog, closeOnboarding } from './charter.js';
import { askDataConsent, MENTEE_CONSENT, settleDataConsent } from './consent.js';
import { QUESTIONNAIRE, QuestionnaireDialog } from './questionnaire.js';
import { MENTEE_PROFILE, tk } from './questions.js';
import { SUMMARY, SummaryDialog } from './summary.js';

export const ONBOARDING_MENTEE = 'onboarding-mentee';

export interface OnboardingOptions {
  /** Consent to data processing is already on record (a restart). */
  skipConsent?: boolean;
  /** Answers already given (see onboardingOptions in resume.ts): their questions are not asked. */
  answers?: Profile;
}

export type OnboardingOutcome = 'done' | 'declined_consent' | 'minor' | 'declined_charter';

interface Values {
  answers: Profile;
}

const values = (step: WaterfallStepContext) => step.values as Values;

/**
 * The mentee's first conversation: welcome and consent to data processing; age bracket (asked
 * first so that nothing is collected about a minor); the profile; a summary to correct any
 * answer; the charter; what happens next.
 */
export class MenteeOnboardingDialog extends ComponentDialog {
  constructor() {
    super(ONBOARDING_MENTEE);
    this.addDialog(new AskDialog());
    this.addDialog(new QuestionnaireDialog());
    this.addDialog(new SummaryDialog());
    this.addDialog(new CharterDialog());
    this.addDialog(
      new WaterfallDialog('steps', [
        async (step) => {
          values(step).answers = { ...(step.options as OnboardingOptions).answers };
          if ((step.options as OnboardingOptions).skipConsent) return step.next('yes');
          return askDataConsent(step, MENTEE_CONSENT);
        },
        async (step) => {
          const recorded = (step.options as OnboardingOptions).skipConsent === true;
          if (!(await settleDataConsent(step, MENTEE_CONSENT, recorded)))
            return step.endDialog('declined_consent' satisfies OnboardingOutcome);
          const { age } = values(step).answers;
          return age === undefined ? step.beginDialog(ASK, { q: 'age' }) : step.next(age);
        },
        async (step) => {
          values(step).answers.age = step.result as string;
          if (step.result === 'under_18') return this.minor(step);
          return step.beginDialog(QUESTIONNAIRE, { ids: MENTEE_PROFILE, answers: values(step).answers });
        },
        async (step) => {
          values(step).answers = step.result as Profile;
          return step.beginDialog(SUMMARY, { answers: values(step).answers, editQuestion: 'edit_mentee' });
        },
        async (step) => {
          const turn = turnOf(step.context);
          const answers = step.result as Profile;
          if (answers.age === 'under_18') return this.minor(step);
          values(step).answers = answers;
          await turn.services.people.saveProfile(turn.person._id, answers);
          return step.beginDialog(CHARTER);
        },
        async (step) =>
          closeOnboarding(
            step,
            { done: tk('onboarding:done'), declined: tk('charter:declined') },
            String(values(step).answers.firstName ?? ''),
          ),
      ]),
    );
    this.initialDialogId = 'steps';
  }

  private async minor(step: WaterfallStepContext) {
    const turn = turnOf(step.context);
    await turn.services.people.clearProfile(turn.person._id, 'minor');
    await step.context.sendActivity(text(turn.t('onboarding:minor')));
    return step.endDialog('minor' satisfies OnboardingOutcome);
  }
}
