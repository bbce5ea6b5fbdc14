import type { Activity, TurnContext } from 'botbuilder';
import type { PersonDoc } from '../../models/person.js';
import type { Config } from '../config.js';
import type { Locale, TFunction } from '../i18n.js';
import type { Logger } from '../log.js';
import type { Services } from '../services/index.js';

/**
 * What the pipeline attaches to a turn, step by step: `log`, `config` and `services` at once,
 * `person` after identity, `t` and `locale` after localization. Dialogs read it with `turnOf`.
 */
export interface Turn {
  context: TurnContext;
  activity: Partial<Activity>;
  /** `<channel>|<native id>`: identifies this inbound message (dedupe, idempotent side effects). */
  key: string;
  log: Logger;
  config: Config;
  services: Services;
  person: PersonDoc;
  locale: Locale;
  t: TFunction;
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
