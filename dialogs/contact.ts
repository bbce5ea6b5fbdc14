import { WaterfallDialog, type WaterfallStepContext } from 'botbuilder-dialogs';
import { text } from '../bot/engine/reply.js';
import { turnOf } from '../bot/engine/turn.js';
import { type ContactChoice, firstName } from '../bot/services/matching-cards.js';
import { ASK } from './ask.js';

export const CONTACT = 'contact';

export interface ContactOptions {
  matchId: string;
  choice: ContactChoice;
}

interface Values {
  name: string;
  email?: string;
  phone?: string;
}

const values = (step: WaterfallStepContext) => step.values as Values & ContactOptions;

/**
 * At a match, which contact details a person passes on to the other (the button they pressed on
 * the introduction): the e-mail and/or the phone, typed now and checked, then passed on with a
 * consent record of what was agreed; or nothing, and the Hub puts them in touch.
 */
export class ContactDialog extends WaterfallDialog {
  constructor() {
    super(CONTACT, [
      async (step) => {
        const turn = turnOf(step.context);
        const { matchId, choice } = step.options as ContactOptions;
        Object.assign(values(step), { matchId, choice });
        const other = await turn.services.matchmaker.pairOf(turn.person, matchId);
        if (!other) return this.say(step, 'proposals:contact.no_pair');
        values(step).name = firstName(other);
        if (await turn.services.matchmaker.hasShared(turn.person, matchId))
          return this.say(step, 'proposals:contact.already');
        if (choice === 'none') return this.share(step);
        if (choice === 'phone') return step.next();
        return step.beginDialog(ASK, { q: 'contact_email' });
      },
      async (step) => {
        if (typeof step.result === 'string') values(step).email = step.result;
        if (values(step).choice === 'email') return step.next();
        return step.beginDialog(ASK, { q: 'contact_phone' });
      },
      async (step) => {
        if (typeof step.result === 'string') values(step).phone = step.result;
        return this.share(step);
      },
    ]);
  }

  private async say(step: WaterfallStepContext, key: string) {
    await step.context.sendActivity(text(turnOf(step.context).t(key, { name: values(step).name })));
    return step.endDialog();
  }

  private async share(step: WaterfallStepContext) {
    const turn = turnOf(step.context);
    const { matchId, choice, name, email, phone } = values(step);
    const what = [
      email ? turn.t('proposals:contact.email') : '',
      phone ? turn.t('proposals:contact.phone') : '',
    ]
      .filter(Boolean)
      .join(', ');
    await turn.services.consents.record({
      personId: turn.person._id,
      kind: 'contact_sharing',
      decision: choice === 'none' ? 'refused' : 'accepted',
      version: `match:${matchId}`,
      locale: turn.locale,
      text: turn.t('proposals:contact.consent_text', {
        name,
        what: what || turn.t('proposals:contact.none'),
      }),
      channel: step.context.activity.channelId ?? '',
      turnKey: turn.key,
    });
    await turn.services.matchmaker.shareContact(turn.person, matchId, { email, phone });
    return this.say(step, choice === 'none' ? 'proposals:contact.done_none' : 'proposals:contact.done');
  }
}
