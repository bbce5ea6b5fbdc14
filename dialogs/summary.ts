import { WaterfallDialog } from 'botbuilder-dialogs';
import { text } from '../bot/engine/reply.js';
import { turnOf } from '../bot/engine/turn.js';
import type { TFunction } from '../bot/i18n.js';
import type { Profile, StoredCommune } from '../models/person.js';
import { type Answer, ASK } from './ask.js';
import { labelOf, question } from './questions.js';

export const SUMMARY = 'summary';

export interface SummaryOptions {
  answers: Profile;
  /** The 'pick' question listing the editable fields. */
  editQuestion: string;
}

/** A readable line per answer, in the user's language. */
export function describe(id: string, value: Answer | undefined, t: TFunction): string {
  const q = question(id);
  let shown: string;
  if (value === undefined) shown = '—';
  else if (Array.isArray(value))
    shown = value.map((v) => ('list' in q ? labelOf(q.list, v, t) : v)).join(', ');
  else if (typeof value === 'object') shown = (value as StoredCommune).name;
  else shown = 'list' in q ? labelOf(q.list, value, t) : value;
  return `• ${t(q.name ?? id)} : ${shown}`;
}

/**
 * Shows every answer with "C'est correct" / "Modifier". Modifier asks which answer, asks that one
 * question again, and comes back to the summary.
 */
export class SummaryDialog extends WaterfallDialog {
  constructor() {
    super(SUMMARY, [
      async (step) => {
        const { answers, editQuestion } = step.options as SummaryOptions;
        const { t } = turnOf(step.context);
        const fields = question(editQuestion);
        const ids = fields.kind === 'pick' ? fields.choices : [];
        const lines = ids.map((id) => describe(id, answers[id], t));
        await step.context.sendActivity(text(`${t('onboarding:summary.intro')}\n\n${lines.join('\n')}`));
        return step.beginDialog(ASK, { q: 'summary' });
      },
      async (step) => {
        const { answers, editQuestion } = step.options as SummaryOptions;
        if (step.result === 'yes') return step.endDialog(answers);
        return step.beginDialog(ASK, { q: editQuestion });
      },
      async (step) => {
        (step.values as { field?: string }).field = step.result as string;
        return step.beginDialog(ASK, { q: step.result as string });
      },
      async (step) => {
        const options = step.options as SummaryOptions;
        const field = (step.values as { field: string }).field;
        const answers = { ...options.answers, [field]: step.result as Answer };
        return step.replaceDialog(SUMMARY, { ...options, answers });
      },
    ]);
  }
}
