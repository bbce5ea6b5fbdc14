import type { Activity } from 'botbuilder';
import { PartlySentError, type SendProgress, UnreachableError } from '../errors.js';
import type { PeopleService } from '../services/people.js';
import type { TandemAdapter } from './adapter.js';

export type ProactiveOutcome = 'sent' | 'stopped' | 'unreachable';

/**
 * A message the bot starts (a proposal, a check-in, a broadcast): to the channel the person used
 * last, or another where they can still be reached (also when the first turns out blocked at
 * this very send); never after "stop". The outbox (Delivery) calls this once per delivery key; it
 * does not retry by itself.
 */
export class Proactive {
  constructor(
    private readonly adapter: TandemAdapter,
    private readonly people: PeopleService,
  ) {}

  /**
   * `resume`: the first `sent` activities reached the person on identity `on` in an attempt that
   * failed after them; sent there again, only the rest goes. A PartlySentError out of here counts
   * from the first activity and names the identity.
   */
  async send(
    personId: string,
    activities: Partial<Activity>[],
    resume?: SendProgress,
  ): Promise<ProactiveOutcome> {
    const person = await this.people.get(personId);
    if (!person || person.proactive === false) return 'stopped';
    // Each identity at most once: one that turns out blocked is marked so, and the next is tried.
    for (let tried = 0; tried <= (person.identities?.length ?? 1); tried++) {
      const identity = await this.people.reachable(personId);
      if (!identity) return 'unreachable';
      const from = resume?.on === identity._id ? resume.sent : 0;
      try {
        // A message of the bot's own: it replies to none of the person's (the stored reference
        // names the message it was taken from).
        const { activityId: _, ...ref } = identity.conversation;
        await this.adapter.channel(identity.channel).send(ref, activities.slice(from));
        return 'sent';
      } catch (err) {
        if (err instanceof PartlySentError)
          throw new PartlySentError(from + err.sent, err.cause, identity._id);
        if (!(err instanceof UnreachableError)) throw err;
        await this.people.markUnreachable(identity.channel, identity.userId);
      }
    }
    return 'unreachable';
  }
}
