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

/** A message with quick replies (suggested actions); the channel renders them natively. */
export function withButtons(body: string, q: string, buttons: Button[]): Partial<Activity> {
  const actions: CardAction[] = buttons.map((b) => ({
    type: ActionTypes.MessageBack,
    title: b.title,
    text: b.title,
    displayText: b.title,
    value: { q, v: b.value } satisfies ButtonValue,
  }));
  return { type: ActivityTypes.Message, text: body, suggestedActions: { to: [], actions } };
}

export function typing(): Partial<Activity> {
  return { type: ActivityTypes.Typing };
}
