import type { WaterfallStepContext } from 'botbuilder-dialogs';
import { text } from '../bot/engine/reply.js';
import { turnOf } from '../bot/engine/turn.js';
import { ASK } from './ask.js';
import { question, tk } from './questions.js';

/** The words of an onboarding's consent to data processing (locale keys, and the question's id). */
export interface DataConsent {
  /** Said before the question. */
  welcome: string;
  /** The 'confirm' question; its prompt is the text recorded with the decision. */
  q: string;
  version: string;
  /** The answer to a refusal: nothing is kept, and how to come back. */
  declined: string;
}

export const MENTEE_CONSENT: DataConsent = {
  welcome: tk('onboarding:welcome'),
  q: 'consent',
  version: tk('onboarding:consent.version'),
  declined: tk('onboarding:consent.declined'),
};

export const MENTOR_CONSENT: DataConsent = {
  welcome: tk('mentor:welcome'),
  q: 'mentor_consent',
  version: tk('mentor:consent.version'),
  declined: tk('mentor:consent.declined'),
};

const params = (step: WaterfallStepContext) => ({ privacyUrl: turnOf(step.context).config.privacyNoticeUrl });

/** Welcomes the person and asks for their consent to data processing (an ASK dialog). */
export async function askDataConsent(step: WaterfallStepContext, consent: DataConsent) {
  const { t } = turnOf(step.context);
  await step.context.sendActivity(text(t(consent.welcome)));
  return step.beginDialog(ASK, { q: consent.q, params: params(step) });
}

/**
 * Records the answer to `askDataConsent` (a consent record of kind 'data_processing', with the
 * version and the hash of the exact text shown), unless it was already on record (`recorded`). A
 * refusal keeps nothing but itself: the profile is cleared and the person told how to come back.
 * Returns whether the consent is given.
 */
export async function settleDataConsent(
  step: WaterfallStepContext,
  consent: DataConsent,
  recorded: boolean,
): Promise<boolean> {
  const turn = turnOf(step.context);
  const accepted = step.result === 'yes';
  if (!recorded) {
    await turn.services.consents.record({
      personId: turn.person._id,
      kind: 'data_processing',
      decision: accepted ? 'accepted' : 'refused',
      version: turn.t(consent.version),
      locale: turn.locale,
      text: turn.t(question(consent.q).prompt, params(step)),
      channel: step.context.activity.channelId ?? '',
      turnKey: turn.key,
    });
  }
  if (!accepted) {
    await turn.services.people.clearProfile(turn.person._id, 'declined_consent');
    await step.context.sendActivity(text(turn.t(consent.declined)));
  }
  return accepted;
}
