import { BotState, type Storage, type TurnContext } from 'botbuilder';
import { turnOf } from './turn.js';

/**
 * Dialog state is kept per person, not per conversation, so a mentee who moves from the web chat
 * to Telegram resumes at the same step. Its eTag is the revision that makes turns of one person
 * serial across processes.
 */
export class PersonState extends BotState {
  constructor(storage: Storage) {
    super(storage, async (context: TurnContext) => PersonState.key(turnOf(context).person._id));
  }

  /** Where a person's state is stored. */
  static key(personId: string): string {
    return `person/${personId}`;
  }

  /**
   * botbuilder's BotState always saves with eTag '*' (last writer wins). Ours saves with the
   * revision it read ('0' for a person with no state yet), so a turn that raced another process
   * fails with a ConflictError and is run again by the pipeline.
   */
  override async saveChanges(context: TurnContext): Promise<void> {
    const state = this.get(context) as Record<string, unknown> | undefined;
    if (!state) return;
    const key = await this.storageKey(context);
    const expected = typeof state.eTag === 'string' && state.eTag !== '*' ? state.eTag : '0';
    const item = { ...state, eTag: expected };
    await this.storage.write({ [key]: item });
    state.eTag = item.eTag;
  }
}

/**
 * The version of the stored dialog state. Bump it when a dialog's steps or stored shape change
 * incompatibly; a person whose state is older begins again at the root, with a short message,
 * and keeps their answers: a finished profile's, and those of an onboarding under way that this
 * version accepts (dialogs/resume.ts).
 */
export const STATE_VERSION = 1;
