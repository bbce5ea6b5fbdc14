import { ActionTypes, type Activity, ActivityTypes, type CardAction } from 'botbuilder';

/** A quick reply. Its value reaches the dialog as `{ q, v }`: the question it answers, and the choice. */
export interface Button {
  title: string;
  value: string;
}

/** What a button press carries back, so a press on an old question is told apart from an answer. */
export interface ButtonValue {
  q: string;
  v: string;
}

export function isButtonValue(value: unknown): value is ButtonValue {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as ButtonValue).q === 'string' &&
    typeof (value as ButtonValue).v === 'string'
  );
}

export function text(body: string): Partial<Activity> {
  return { type: ActivityTypes.Message, text: body };
}

/**
 * A question that takes several of its buttons, one press at a time (it comes back after each).
 * A channel whose keyboards take one press each lets another of its buttons, pressed before the
 * question came back, through: the dialog adds it, or calls it stale if the question has passed.
 */
const MULTI = 'multi';

/** A message with quick replies (suggested actions); the channel renders them natively. */
export function withButtons(
  body: string,
  q: string,
  buttons: Button[],
  opts: { multi?: boolean } = {},
): Partial<Activity> {
  const actions: CardAction[] = buttons.map((b) => ({
    type: ActionTypes.MessageBack,
    title: b.title,
    text: b.title,
    displayText: b.title,
    value: { q, v: b.value } satisfies ButtonValue,
  }));
  return {
    type: ActivityTypes.Message,
    text: body,
    suggestedActions: { to: [], actions },
    ...(opts.multi ? { channelData: { tandem: MULTI } } : {}),
  };
}

/** Whether an outgoing activity asks a question that takes several of its buttons (see withButtons). */
export function isMultiSelect(activity: Partial<Activity>): boolean {
  return (activity.channelData as { tandem?: unknown } | undefined)?.tandem === MULTI;
}

export function typing(): Partial<Activity> {
  return { type: ActivityTypes.Typing };
}

/** A card: a title, an optional subtitle, a text and its buttons (a hero card on every channel). */
export interface Card {
  title: string;
  subtitle?: string;
  text: string;
  buttons: Button[];
}

const STANDALONE = 'standalone';

/**
 * A card whose buttons stand on their own (a proposal, a mentor's request): they stay usable
 * while the conversation goes on, unlike a question's quick replies, which the next message
 * passes by. Each press carries `{ q, v }` like any button; the first press of a card wins.
 */
export function standaloneCard(card: Card, q: string): Partial<Activity> {
  const buttons: CardAction[] = card.buttons.map((b) => ({
    type: ActionTypes.MessageBack,
    title: b.title,
    text: b.title,
    displayText: b.title,
    value: { q, v: b.value } satisfies ButtonValue,
  }));
  return {
    type: ActivityTypes.Message,
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.hero',
        content: { title: card.title, subtitle: card.subtitle, text: card.text, buttons },
      },
    ],
    channelData: { tandem: STANDALONE },
  };
}

/** Whether an outgoing activity's buttons stand on their own (see standaloneCard). */
export function isStandalone(activity: Partial<Activity>): boolean {
  return (activity.channelData as { tandem?: unknown } | undefined)?.tandem === STANDALONE;
}
