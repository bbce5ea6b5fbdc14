import { type DialogTurnResult, WaterfallDialog, type WaterfallStepContext } from 'botbuilder-dialogs';
import { text } from '../bot/engine/reply.js';
import { turnOf } from '../bot/engine/turn.js';
import { ASK } from './ask.js';

export const CHARTER = 'charter';

/**
 * The hub's charter of commitments, shown in full and accepted or refused. The decision is a
 * consent record of its own (kind 'charter'), separate from the consent to data processing, with
 * the charter's version and the hash of the exact text shown. The person's status follows, in the
 * same write: active (a paused mentor stays paused: accepting a new charter is not resuming), or
 * declined_charter. Returns true when accepted.
 */
export class CharterDialog extends WaterfallDialog {
  constructor() {
    super(CHARTER, [
      async (step) => {
        const { t } = turnOf(step.context);
        await step.context.sendActivity(text(t('charter:text', { version: t('charter:version') })));
        return step.beginDialog(ASK, { q: 'charter' });
      },
      async (step) => {
        const turn = turnOf(step.context);
        const accepted = step.result === 'yes';
        const { status } = turn.person;
        await turn.services.consents.record({
          personId: turn.person._id,
          kind: 'charter',
          decision: accepted ? 'accepted' : 'refused',
          version: turn.t('charter:version'),
          locale: turn.locale,
          text: turn.t('charter:text', { version: turn.t('charter:version') }),
          channel: step.context.activity.channelId ?? '',
          turnKey: turn.key,
          status: accepted ? (status === 'paused' ? undefined : 'active') : 'declined_charter',
        });
        return step.endDialog(accepted);
      },
    ]);
  }
}

/** Whether the person's latest charter decision is an acceptance of the current version. */
export function hasCurrentCharter(context: Parameters<typeof turnOf>[0]): boolean {
  const turn = turnOf(context);
  const latest = turn.services.consents.latest(turn.person, 'charter');
  return latest?.decision === 'accepted' && latest.version === turn.t('charter:version');
}

/**
 * The last step of an onboarding, after CharterDialog (which set the status): accepted, the
 * person is told what happens next (`done`, with their first name); refused, the refusal is
 * explained (`declined`). Ends the onboarding with its outcome.
 */
export async function closeOnboarding(
  step: WaterfallStepContext,
  texts: { done: string; declined: string },
  firstName: string,
): Promise<DialogTurnResult> {
  const turn = turnOf(step.context);
  if (step.result !== true) {
    await step.context.sendActivity(text(turn.t(texts.declined)));
    return step.endDialog('declined_charter');
  }
  await step.context.sendActivity(text(turn.t(texts.done, { firstName })));
  return step.endDialog('done');
}
