import { WaterfallDialog } from 'botbuilder-dialogs';
import { text } from '../bot/engine/reply.js';
import { turnOf } from '../bot/engine/turn.js';
import type { TFunction } from '../bot/i18n.js';
import type { Profile, StoredCommune } from '../models/person.js';
import { type Answer, ASK, BACK } from './ask.js';
import { fieldOf, labelOf, question } from './questions.js';

export const SUMMARY = 'summary';

export interface SummaryOptions {
  answers: Profile;
  /** The 'pick' question listing the editable fields. */
  editQuestion: string;
}

/** A readable line per answer, in the user's language. */
export function describe(id: string, value: Answer | undefined, t: TFunction): string {
  return `• ${t(question(id).name ?? id)} : ${shown(id, value, t)}`;
}

function shown(id: string, value: Answer | undefined, t: TFunction): string {
  const q = question(id);
  const label = (v: string) => ('list' in q ? labelOf(q.list, v, t, q.wording) : v);
  if (value === undefined || value === '') return '—';
  if (Array.isArray(value)) {
    if (value.length === 0) return q.kind === 'multi' && q.none ? t(q.none) : '—';
    return value.map(label).join(', ');
  }
  if (typeof value === 'object') return (value as StoredCommune).name;
  if (q.kind === 'confirm') return t(value === 'yes' ? q.yes : q.no);
  return label(value);
}

/**
 * Shows every answer with "C'est correct" / "Modifier". Modifier asks which answer (or none: "Retour
 * au récapitulatif"), asks that one question again, and comes back to the summary.
 */
export class SummaryDialog extends WaterfallDialog {
  constructor() {
    super(SUMMARY, [
      async (step) => {
        const { answers, editQuestion } = step.options as SummaryOptions;
        const { t } = turnOf(step.context);
        const fields = question(editQuestion);
        const ids = fields.kind === 'pick' ? fields.choices : [];
        const lines = ids.map((id) => describe(id, answers[fieldOf(id)], t));
        await step.context.sendActivity(text(`${t('onboarding:summary.intro')}\n\n${lines.join('\n')}`));
        return step.beginDialog(ASK, { q: 'summary' });
      },
      async (step) => {
        const { answers, editQuestion } = step.options as SummaryOptions;
        if (step.result === 'yes') return step.endDialog(answers);
        return step.beginDialog(ASK, { q: editQuestion });
      },
      async (step) => {
        // Nothing to change after all: the summary again.
        if (step.result === BACK) return step.replaceDialog(SUMMARY, step.options);
        (step.values as { field?: string }).field = step.result as string;
        return step.beginDialog(ASK, { q: step.result as string });
      },
      async (step) => {
        const options = step.options as SummaryOptions;
        const edited = (step.values as { field: string }).field;
        const answers = { ...options.answers, [fieldOf(edited)]: step.result as Answer };
        return step.replaceDialog(SUMMARY, { ...options, answers });
      },
    ]);
  }
}
