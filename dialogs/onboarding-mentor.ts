import { ComponentDialog, WaterfallDialog, type WaterfallStepContext } from 'botbuilder-dialogs';
import { turnOf } from '../bot/engine/turn.js';
import type { Profile } from '../models/person.js';
import { AskDialog } from './ask.js';
import { CHARTER, CharterDialog, closeOnboarding } from './charter.js';
import { askDataConsent, MENTOR_CONSENT, settleDataConsent } from './consent.js';
import type { OnboardingOptions, OnboardingOutcome } from './onboarding-mentee.js';
import { QUESTIONNAIRE, QuestionnaireDialog } from './questionnaire.js';
import { MENTOR_PROFILE, tk } from './questions.js';
import { SUMMARY, SummaryDialog } from './summary.js';

export const ONBOARDING_MENTOR = 'onboarding-mentor';

interface Values {
  answers: Profile;
}

const values = (step: WaterfallStepContext) => step.values as Values;

/** The profile as saved: an optional answer left empty ("non" to "Autre chose ?") is not kept. */
export function saved(answers: Profile): Profile {
  return Object.fromEntries(Object.entries(answers).filter(([, value]) => value !== ''));
}

/**
 * The mentor's first conversation: welcome and consent to data processing; the profile (who they
 * are, what they can help with, how much, where and when, a short bio for mentees, what mentees
 * may see before both agree); a summary to correct any answer; the charter (the mentees' own
 * text and record); what happens next.
 */
export class MentorOnboardingDialog extends ComponentDialog {
  constructor() {
    super(ONBOARDING_MENTOR);
    this.addDialog(new AskDialog());
    this.addDialog(new QuestionnaireDialog());
    this.addDialog(new SummaryDialog());
    this.addDialog(new CharterDialog());
    this.addDialog(
      new WaterfallDialog('steps', [
        async (step) => {
          values(step).answers = { ...(step.options as OnboardingOptions).answers };
          if ((step.options as OnboardingOptions).skipConsent) return step.next('yes');
          return askDataConsent(step, MENTOR_CONSENT);
        },
        async (step) => {
          const recorded = (step.options as OnboardingOptions).skipConsent === true;
          if (!(await settleDataConsent(step, MENTOR_CONSENT, recorded)))
            return step.endDialog('declined_consent' satisfies OnboardingOutcome);
          return step.beginDialog(QUESTIONNAIRE, { ids: MENTOR_PROFILE, answers: values(step).answers });
        },
        async (step) => {
          values(step).answers = step.result as Profile;
          return step.beginDialog(SUMMARY, { answers: values(step).answers, editQuestion: 'edit_mentor' });
        },
        async (step) => {
          const turn = turnOf(step.context);
          values(step).answers = saved(step.result as Profile);
          await turn.services.people.saveProfile(turn.person._id, values(step).answers);
          return step.beginDialog(CHARTER);
        },
        async (step) =>
          closeOnboarding(
            step,
            { done: tk('mentor:done'), declined: tk('mentor:charter_declined') },
            String(values(step).answers.firstName ?? ''),
          ),
      ]),
    );
    this.initialDialogId = 'steps';
  }
}
