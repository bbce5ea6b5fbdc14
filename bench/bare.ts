import { type Activity, BotAdapter, ConversationState, MemoryStorage, TurnContext } from 'botbuilder';
import {
  DialogSet,
  DialogTurnStatus,
  TextPrompt,
  WaterfallDialog,
  type WaterfallStepContext,
} from 'botbuilder-dialogs';

/** A BotAdapter that drops replies: the bare cost of botbuilder-dialogs and its state. */
class BareAdapter extends BotAdapter {
  override async sendActivities(_c: TurnContext, activities: Partial<Activity>[]) {
    return activities.map(() => ({ id: '' }));
  }
  override async updateActivity() {}
  override async deleteActivity() {}
  override async continueConversation() {}
}

/**
 * The upper bound of the turns benchmark: the same number of prompts as our onboarding, in bare
 * botbuilder-dialogs, in process, with MemoryStorage, closed loop.
 */
export async function bareTurnsPerSecond(
  conversations: number,
  steps: number,
  durationMs: number,
): Promise<number> {
  const adapter = new BareAdapter();
  const state = new ConversationState(new MemoryStorage());
  const dialogs = new DialogSet(state.createProperty('dialogs'));
  dialogs.add(new TextPrompt('text'));
  dialogs.add(
    new WaterfallDialog('onboarding', [
      ...Array.from(
        { length: steps },
        (_, i) => async (step: WaterfallStepContext) => step.prompt('text', `Question ${i + 1} ?`),
      ),
      async (step: WaterfallStepContext) => step.endDialog(),
    ]),
  );
  let turns = 0;
  const until = performance.now() + durationMs;
  const user = async (n: number) => {
    let m = 0;
    while (performance.now() < until) {
      const activity: Partial<Activity> = {
        type: 'message',
        id: `${n}-${m++}`,
        channelId: 'bare',
        text: 'une réponse',
        from: { id: `u${n}`, name: '' },
        conversation: { id: `c${n}`, isGroup: false, conversationType: 'personal', name: '' },
        recipient: { id: 'bot', name: '' },
      };
      const context = new TurnContext(adapter, activity);
      const dc = await dialogs.createContext(context);
      const r = await dc.continueDialog();
      if (r.status === DialogTurnStatus.empty) await dc.beginDialog('onboarding');
      await state.saveChanges(context);
      turns++;
      // Let other conversations in, as concurrent requests would.
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: conversations }, (_, i) => user(i)));
  return turns / ((performance.now() - started) / 1000);
}
