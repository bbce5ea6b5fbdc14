import type { TurnContext } from 'botbuilder';
import type { RestartOptions } from '../bot/engine/conversation.js';
import { text } from '../bot/engine/reply.js';
import { type Turn, turnOf } from '../bot/engine/turn.js';
import type { OnboardingOptions } from './onboarding-mentee.js';
import { MENTEE_PROFILE, MENTOR_PROFILE, tk, validAnswers } from './questions.js';

/** The profile questions of the person's onboarding (the mentee's age first). */
const profileOf = (turn: Turn) =>
  turn.person.role === 'mentor' ? MENTOR_PROFILE : ['age', ...MENTEE_PROFILE];

/**
 * The stored dialog stack could not be continued (an update changed the dialogs): the answers
 * the person gave in the onboarding under way are taken from it, those this version still
 * accepts, and saved with the profile, where the onboarding begun afresh finds them (see
 * `onboardingOptions`). The person is told what was kept.
 */
export async function afterRestart(context: TurnContext, options: RestartOptions): Promise<void> {
  const turn = turnOf(context);
  const { person } = turn;
  if (person.status === 'declined_consent' || person.status === 'minor') {
    // Nothing was kept of them, and nothing is to be.
    await context.sendActivity(text(turn.t('common:state_reset.plain')));
    return;
  }
  if (person.status !== 'onboarding') {
    // The answers of a finished profile are saved outside the dialog state.
    await context.sendActivity(text(turn.t('common:state_reset.kept')));
    return;
  }
  const kept = validAnswers(profileOf(turn), { ...person.profile, ...answersIn(options.restartedFrom) });
  if (Object.keys(kept).length > 0) {
    await turn.services.people.saveProfile(person._id, kept);
    person.profile = kept;
  }
  const said = Object.keys(kept).length > 0 ? tk('common:state_reset.kept') : tk('common:state_reset.over');
  await context.sendActivity(text(turn.t(said)));
}

/**
 * How the onboarding begins for someone in it already: without asking the consent again when it
 * is on record, and with the answers their profile holds (an onboarding whose stack was lost
 * after the summary, or taken from an older version's by `afterRestart`).
 */
export function onboardingOptions(turn: Turn): OnboardingOptions {
  if (turn.person.status !== 'onboarding') return {};
  const consent = turn.services.consents.latest(turn.person, 'data_processing');
  return {
    skipConsent: consent?.decision === 'accepted',
    answers: validAnswers(profileOf(turn), turn.person.profile ?? {}),
  };
}

/**
 * Every `answers` object of a stored dialog state merged, the innermost dialog's last: a stack
 * lists its dialogs from the active one down, and the active one holds the latest answers (the
 * questionnaire's, or the summary's with an edit).
 */
export function answersIn(state: unknown): Record<string, unknown> {
  const found: Record<string, unknown> = {};
  const walk = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      for (const item of [...node].reverse()) walk(item);
      return;
    }
    const { answers, ...rest } = node as Record<string, unknown>;
    if (answers && typeof answers === 'object' && !Array.isArray(answers)) Object.assign(found, answers);
    for (const value of Object.values(rest)) walk(value);
  };
  walk(state);
  return found;
}
