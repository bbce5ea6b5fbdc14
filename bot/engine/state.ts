import { BotState, type Storage, type TurnContext } from 'botbuilder';
import { turnOf } from './turn.js';

/**
 * Dialog state is kept per person, not per conversation, so a mentee who moves from the web chat
 * to Telegram resumes at the same step. Its eTag is the revision that makes turns of one person
 * serial across processes.
 */
export class PersonState extends BotState {
  constructor(storage: Storage) {
    super(storage, async (context: TurnContext) => `person/${turnOf(context).person._id}`);
  }
}

/**
 * The version of the stored dialog state. Bump it when a dialog's steps or stored shape change
 * incompatibly; a person whose state is older restarts the current dialog with a short message
 * and keeps the answers kept outside dialog state.
 */
export const STATE_VERSION = 1;
