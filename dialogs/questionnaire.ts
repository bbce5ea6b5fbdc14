import { Dialog, type DialogContext, type DialogTurnResult } from 'botbuilder-dialogs';
import type { Profile } from '../models/person.js';
import { type Answer, ASK } from './ask.js';
import { activeInstance } from './instance.js';
import { fieldOf } from './questions.js';

export const QUESTIONNAIRE = 'questionnaire';

export interface QuestionnaireOptions {
  ids: string[];
  answers: Profile;
}

interface State extends QuestionnaireOptions {
  current?: string;
}

/**
 * Asks each question of `ids` that has no answer yet, in order, and returns the answers by profile
 * field (see `fieldOf`). The answers live in dialog state, saved every turn: nothing typed is lost
 * when a process restarts.
 */
export class QuestionnaireDialog extends Dialog<QuestionnaireOptions> {
  constructor() {
    super(QUESTIONNAIRE);
  }

  override async beginDialog(dc: DialogContext, options?: QuestionnaireOptions): Promise<DialogTurnResult> {
    const state: State = { ids: options?.ids ?? [], answers: { ...options?.answers } };
    activeInstance(dc).state = state;
    return this.next(dc, state);
  }

  override async resumeDialog(
    dc: DialogContext,
    _reason: unknown,
    result?: Answer,
  ): Promise<DialogTurnResult> {
    const state = activeInstance(dc).state as State;
    if (state.current && result !== undefined) state.answers[fieldOf(state.current)] = result;
    return this.next(dc, state);
  }

  private async next(dc: DialogContext, state: State): Promise<DialogTurnResult> {
    state.current = state.ids.find((id) => state.answers[fieldOf(id)] === undefined);
    if (!state.current) return dc.endDialog(state.answers);
    return dc.beginDialog(ASK, { q: state.current });
  }
}
