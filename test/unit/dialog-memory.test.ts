import { ConversationState, MemoryStorage, TestAdapter, type TurnContext } from 'botbuilder';
import {
  ComponentDialog,
  DialogSet,
  DialogsBotComponent,
  DialogTurnStatus,
  TextPrompt,
  WaterfallDialog,
} from 'botbuilder-dialogs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { shareDialogMemory } from '../../bot/engine/dialog-memory.js';

/** A component dialog with a waterfall that writes and reads dialog memory, and a prompt. */
function bot(share: boolean, seen: unknown[]) {
  return new TestAdapter(logic(share, seen));
}

/** The turn logic of `bot`, to be shared by several conversations (one storage). */
function logic(share: boolean, seen: unknown[]) {
  const state = new ConversationState(new MemoryStorage());
  const dialogs = new DialogSet(state.createProperty('dialogs'));
  const inner = new ComponentDialog('inner');
  inner.addDialog(
    new WaterfallDialog('steps', [
      async (step) => {
        step.state.setValue('dialog.asked', step.context.activity.from.id);
        step.state.setValue('turn.mark', 1);
        return step.prompt('text', 'Votre prénom ?');
      },
      async (step) => {
        seen.push(step.state.getValue('dialog.asked'), step.state.getValue('turn.mark'), step.result);
        await step.context.sendActivity(`Merci ${step.result}`);
        return step.endDialog();
      },
    ]),
  );
  inner.addDialog(new TextPrompt('text'));
  dialogs.add(inner);
  return async (context: TurnContext) => {
    if (share) shareDialogMemory(context);
    const dc = await dialogs.createContext(context);
    const result = await dc.continueDialog();
    if (result.status === DialogTurnStatus.empty) await dc.beginDialog('inner');
    await state.saveChanges(context);
  };
}

afterEach(() => vi.restoreAllMocks());

describe('the shared dialog memory configuration', () => {
  it('registers the dialogs component once for the process instead of once per dialog context', async () => {
    const configure = vi.spyOn(DialogsBotComponent.prototype, 'configureServices');
    // botbuilder alone (this file's first turns: nothing is shared yet): a registration for every
    // dialog context, two turns with a root, a component and waterfall step contexts each.
    const before: unknown[] = [];
    await bot(false, before)
      .send('bonjour')
      .assertReply('Votre prénom ?')
      .send('Léa')
      .assertReply('Merci Léa');
    expect(configure.mock.calls.length).toBeGreaterThanOrEqual(6);
    expect(before).toEqual(['user1', undefined, 'Léa']);

    configure.mockClear();
    const seen: unknown[] = [];
    let flow = bot(true, seen).send('bonjour').assertReply('Votre prénom ?');
    for (const name of ['Léa', 'Claire', 'Inès']) {
      flow = flow.send(name).assertReply(`Merci ${name}`).send('encore').assertReply('Votre prénom ?');
    }
    await flow;
    expect(configure.mock.calls.length).toBe(1); // the process's one registration
    // Dialog memory works as before: a dialog's own scope kept across turns, the turn scope not.
    expect(seen).toEqual([
      'user1',
      undefined,
      'Léa',
      'user1',
      undefined,
      'Claire',
      'user1',
      undefined,
      'Inès',
    ]);

    // botbuilder's own contexts now share it too.
    configure.mockClear();
    await bot(false, []).send('bonjour').assertReply('Votre prénom ?').send('Léa').assertReply('Merci Léa');
    expect(configure.mock.calls.length).toBe(0);
  });

  it('keeps the dialog memory of each conversation apart, turns interleaved', async () => {
    const seen: unknown[] = [];
    const shared = logic(true, seen);
    const as = (id: string) =>
      new TestAdapter(shared, { conversation: { id: `conv-${id}` }, from: { id, name: id } } as never);
    const ana = as('ana');
    const ben = as('ben');
    await ana.send('bonjour').assertReply('Votre prénom ?');
    await ben.send('bonjour').assertReply('Votre prénom ?');
    await ben.send('Ben').assertReply('Merci Ben');
    await ana.send('Ana').assertReply('Merci Ana');
    expect(seen).toEqual(['ben', undefined, 'Ben', 'ana', undefined, 'Ana']);
  });
});
