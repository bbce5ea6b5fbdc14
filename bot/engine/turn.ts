import type { Activity, TurnContext } from 'botbuilder';
import type { PersonDoc } from '../../models/person.js';
import type { Config } from '../config.js';
import type { Locale, TFunction } from '../i18n.js';
import type { Logger } from '../log.js';
import type { Services } from '../services/index.js';

/**
 * Where a person comes from, carried by a `start` event (a Telegram deep link, a widget's
 * settings): a programme or campaign to record, or a one-time code that links this channel to a
 * person who started elsewhere. `invalid` is a payload that made no sense (logged, ignored).
 */
export interface Arrival {
  programme?: string;
  campaign?: string;
  link?: string;
  invalid?: string;
}

/** What became of a one-time link code in this turn. */
export type LinkOutcome = 'linked' | 'already' | 'expired' | 'used' | 'unknown' | 'conflict';

/**
 * What the pipeline attaches to a turn, step by step: `log`, `config` and `services` at once,
 * `person` after identity, `t` and `locale` after localization. Dialogs read it with `turnOf`.
 */
export interface Turn {
  context: TurnContext;
  activity: Partial<Activity>;
  /** `<channel>|<native id>`: identifies this inbound message (dedupe, idempotent side effects). */
  key: string;
  /** Whether the message has a native id: a key without one is shared by every such message. */
  keyed: boolean;
  /** The channel already recorded the native id (its own unique insert): no dedupe mark needed. */
  recorded: boolean;
  /** The dedupe mark's answer, once sent: false when this message was seen before. */
  firstDelivery?: Promise<boolean>;
  log: Logger;
  config: Config;
  services: Services;
  person: PersonDoc;
  locale: Locale;
  t: TFunction;
  /** Set on a `start` event that carried a link code. */
  link?: LinkOutcome;
  /** How many replies the turn had before its dialogs ran (a link code's outcome): they stand. */
  preface?: number;
  /** Set when the dialogs are done: whether the turn had anything to send. */
  said?: boolean;
}

/** A message's `Turn.key`: its channel and its native id (the activity's id unless the channel says). */
export function turnKey(channelId: string, nativeId: string): string {
  return `${channelId}|${nativeId}`;
}

/** The arrival a `start` event carries, if this activity is one. */
export function arrivalOf(activity: Partial<Activity>): Arrival | undefined {
  if (activity.type !== 'event' || activity.name !== 'start') return undefined;
  const value = activity.value as Arrival | undefined;
  return typeof value === 'object' && value !== null ? value : {};
}

const TURN = Symbol('tandem.turn');

export function attachTurn(context: TurnContext, turn: Partial<Turn>): Partial<Turn> {
  context.turnState.set(TURN, turn);
  return turn;
}

/** The turn of a context, once the pipeline has identified and localized it. */
export function turnOf(context: TurnContext): Turn {
  const turn = context.turnState.get(TURN) as Turn | undefined;
  if (!turn?.person || !turn.t) throw new Error('turnOf: the pipeline has not identified this turn');
  return turn;
}
