import { createHash } from 'node:crypto';
import type { Storage, TurnContext } from 'botbuilder';
import {
  type Dialog,
  DialogSet,
  type DialogState,
  type DialogTurnResult,
  DialogTurnStatus,
} from 'botbuilder-dialogs';
import { shareDialogMemory } from './dialog-memory.js';
import type { Conversation } from './pipeline.js';
import { text } from './reply.js';
import { PersonState, STATE_VERSION } from './state.js';
import { turnOf } from './turn.js';

interface Meta {
  version: number;
  /** The messages whose turns saved the last revisions (`digest` of `Turn.key`), oldest first. */
  turns?: string[];
}

/** How many applied messages a state remembers: more than a channel ever runs again at once. */
const REMEMBERED_TURNS = 12;

/** A short digest of a turn key (72 bits): twelve of them add under 200 bytes to each revision. */
function digest(key: string): string {
  return createHash('sha256').update(key).digest('base64url').slice(0, 12);
}

/**
 * What the root dialog begins with when the stored stack could not be continued (a state saved by
 * an older version, or naming a dialog or a question this one no longer has). The root answers
 * the person (what was kept) and takes from the old stack what it still can.
 */
export interface RestartOptions {
  /** The dialog state as it was stored (plain JSON). */
  restartedFrom: unknown;
}

/**
 * Runs the dialog stack of one turn on the person's state: load afresh, migrate or restart an
 * older state, continue the active dialog or begin the root, save as a new revision marked with
 * the message it answers. A message whose revision is already saved is never applied twice.
 */
export class DialogConversation implements Conversation {
  private readonly state: PersonState;
  private readonly meta;
  private readonly dialogState;
  private readonly dialogs: DialogSet;

  constructor(
    private readonly storage: Storage & { markEmpty?(key: string): void },
    private readonly root: Dialog,
  ) {
    this.state = new PersonState(storage);
    this.meta = this.state.createProperty<Meta>('meta');
    this.dialogState = this.state.createProperty<DialogState>('dialogs');
    this.dialogs = new DialogSet(this.dialogState);
    this.dialogs.add(root);
  }

  created(personId: string): void {
    this.storage.markEmpty?.(PersonState.key(personId));
  }

  async run(context: TurnContext): Promise<void> {
    shareDialogMemory(context);
    await this.state.load(context, true);
    const turn = turnOf(context);
    const meta = await this.meta.get(context, { version: STATE_VERSION });
    const applied = meta.version === STATE_VERSION ? (meta.turns ?? []) : [];
    // A message without an id of its own has no key to remember.
    const id = turn.keyed ? digest(turn.key) : undefined;
    if (id && applied.includes(id)) return this.alreadyApplied(context, applied.at(-1) === id);
    // The stack an older version left, when it cannot be continued: the root begins afresh and
    // takes what it can from it (its message says what was kept).
    let restartedFrom: unknown;
    if (meta.version !== STATE_VERSION) {
      turn.log.warn(
        { stored: meta.version, current: STATE_VERSION },
        'older dialog state: restarting the dialog',
      );
      restartedFrom = (await this.dialogState.get(context)) ?? {};
      await this.dialogState.delete(context);
    }
    let dc = await this.dialogs.createContext(context);
    let result: DialogTurnResult;
    try {
      result = await dc.continueDialog();
    } catch (err) {
      // A stored stack naming a dialog or a question this version no longer has (STATE_VERSION
      // not bumped for it): start over rather than fail at every message.
      if (!/wasn't found|unknown question/.test(String((err as Error)?.message))) throw err;
      turn.log.warn({ err }, 'stored dialog stack names an unknown dialog: restarting');
      restartedFrom = structuredClone((await this.dialogState.get(context)) ?? {});
      await this.dialogState.set(context, { dialogStack: [] });
      dc = await this.dialogs.createContext(context);
      result = { status: DialogTurnStatus.empty };
    }
    if (result.status === DialogTurnStatus.empty) {
      await dc.beginDialog(
        this.root.id,
        restartedFrom === undefined ? undefined : ({ restartedFrom } satisfies RestartOptions),
      );
    }
    const turns = id ? [...applied, id].slice(-REMEMBERED_TURNS) : applied;
    await this.meta.set(context, { version: STATE_VERSION, turns });
    await this.state.saveChanges(context);
  }

  /**
   * This message's turn ran to its save before, and a channel runs it again: its process stopped
   * before knowing its answers were out. Nothing is applied. When it was the last message
   * applied, its answers may never have gone out: the person is told it was taken into account and
   * asked the current question again. When a later message was applied since, that one's answers
   * asked it: nothing is said.
   */
  private async alreadyApplied(context: TurnContext, last: boolean): Promise<void> {
    const turn = turnOf(context);
    turn.log.info({ last }, 'message already applied: not applied again');
    if (!last) return;
    // The revision may come from this process's cache while another process saved a later one
    // (then this message is not the last any more): saved unchanged, a stale one conflicts, and
    // the turn runs again on the fresh state.
    await this.state.saveChanges(context);
    await context.sendActivity(text(turn.t('common:already_applied')));
    const dc = await this.dialogs.createContext(context);
    try {
      if (dc.activeDialog) await dc.repromptDialog();
    } catch (err) {
      // A stack this version does not know: its next message restarts it (run, above).
      turn.log.warn({ err }, 'could not ask the current question again');
    }
  }
}
