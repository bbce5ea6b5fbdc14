import type { Activity } from 'botbuilder';
import { Dialog, type DialogContext, type DialogTurnResult } from 'botbuilder-dialogs';
import { normalize, recognizeChoice, recognizeYesNo } from '../bot/engine/recognize.js';
import { type Button, isButtonValue, text, withButtons } from '../bot/engine/reply.js';
import { turnOf } from '../bot/engine/turn.js';
import type { Locale, TFunction } from '../bot/i18n.js';
import { communeByCode, findCommune } from '../bot/reference/communes.js';
import type { StoredCommune } from '../models/person.js';
import { activeInstance } from './instance.js';
import { type Option, options, type Question, question } from './questions.js';

export const ASK = 'ask';
const DONE = '__done';
/** The answer of a 'pick' question's `back` choice: none was picked. */
export const BACK = '__back';
/** The exclusive "none" of a multi-select, and "nothing to add" of an optional text. */
const NONE = '__none';
const HINT_AFTER = 2;

export interface AskOptions {
  q: string;
  /** Interpolation values for the prompt (plain strings). */
  params?: Record<string, string>;
}

interface AskState extends AskOptions {
  attempts: number;
  selected: string[];
  candidates: string[];
}

export type Answer = string | string[] | StoredCommune;

type Input = { kind: 'button'; q: string; v: string } | { kind: 'text'; text: string } | { kind: 'other' };

/** What a step of recognition decided: an answer, a re-ask with a reason, or a prompt that goes on. */
type Outcome =
  | { kind: 'answer'; value: Answer; note?: string }
  | { kind: 'retry'; message: string }
  | { kind: 'again'; message?: string };

function readInput(activity: Partial<Activity>): Input {
  if (isButtonValue(activity.value)) return { kind: 'button', q: activity.value.q, v: activity.value.v };
  if (typeof activity.text === 'string' && (activity.text.trim() !== '' || !activity.attachments?.length)) {
    return { kind: 'text', text: activity.text.trim() };
  }
  return { kind: 'other' };
}

const FIRST_NAME = /^\p{L}[\p{L}\p{M}' ’.-]*$/u;
/** What people type before their first name ("Je m'appelle Marie", "moi c'est Karim", "I'm Sam"). */
const NAME_LEAD_IN =
  /^(?:(?:bonjour|salut|hello|hi)[\s,!]+)?(?:je m['’ ]?appelle|moi c['’ ]?est|c['’ ]?est|mon pr[ée]nom(?: est| c['’ ]?est)?\s*:?|je suis|my name is|my first name is|i['’]?m|i am|call me)\s+/iu;
/** More words than a first name has: a sentence ("Je voudrais un mentor rapidement"). */
const MAX_NAME_WORDS = 4;

/** The first name in what was typed: without a lead-in or a final full stop or exclamation mark. */
function firstNameIn(text: string): string {
  return text
    .replace(NAME_LEAD_IN, '')
    .replace(/\s*[.!]+$/u, '')
    .trim();
}
const HAS_WORD = /[\p{L}\p{N}]/u;
/** An e-mail address as people type it; a French number (0X or +33 X) or an international one. */
const FORMATS = {
  email: /^[^\s@<>()[\],;:"]+@[^\s@<>()[\],;:"]+\.[^\s@<>()[\],;:".]{2,}$/u,
  phone: /^(?:(?:\+33\s?(?:\(0\))?|0)[1-9](?:[\s.-]?\d{2}){4}|\+(?:[\s.-]?\d){8,15})$/,
};
const DONE_WORDS = new Set(
  [
    "c'est tout",
    'cest tout',
    'fini',
    'termine',
    'terminé',
    'rien',
    "rien d'autre",
    'ca suffit',
    'done',
    'that s all',
  ].map(normalize),
);
/** Also "that is all" at a multi-select, once something is chosen (not "nothing" elsewhere). */
const FINISH_WORDS = new Set([
  ...DONE_WORDS,
  ...["c'est bon", 'ok', "ok c'est bon", 'voila', 'ca ira', "that's it", "that's all", 'ok thanks'].map(
    normalize,
  ),
]);
/** "Nothing" where nothing is a valid answer: an optional text, a multi-select with a "none". */
const NOTHING_WORDS = new Set([
  ...DONE_WORDS,
  ...['aucun', 'aucune', 'rien de plus', 'pas d autre', 'none', 'nothing', 'no more'].map(normalize),
]);

/** "non", "rien", "aucune", "c'est tout", "aucun programme"... */
function saysNothing(text: string, locale: Locale): boolean {
  const normalized = normalize(text);
  return (
    NOTHING_WORDS.has(normalized) || /^aucune? /.test(normalized) || recognizeYesNo(text, locale) === 'no'
  );
}

/**
 * Asks one question and returns its answer. Buttons and typing both work; anything else gets a
 * kind re-ask that keeps what was already chosen. Recognition is ours (bot/engine/recognize.ts):
 * botbuilder's French number recognizer is never used.
 */
export class AskDialog extends Dialog<AskOptions> {
  constructor() {
    super(ASK);
  }

  override async beginDialog(dc: DialogContext, options?: AskOptions): Promise<DialogTurnResult> {
    if (!options) throw new Error('AskDialog needs a question');
    const state: AskState = { ...options, attempts: 0, selected: [], candidates: [] };
    activeInstance(dc).state = state;
    await this.prompt(dc, state);
    return Dialog.EndOfTurn;
  }

  override async continueDialog(dc: DialogContext): Promise<DialogTurnResult> {
    const state = activeInstance(dc).state as AskState;
    const { t, locale } = turnOf(dc.context);
    const activity = dc.context.activity;
    if (activity.type !== 'message') {
      await this.prompt(dc, state);
      return Dialog.EndOfTurn;
    }
    const outcome = this.recognize(question(state.q), readInput(activity), state, t, locale);
    if (outcome.kind === 'answer') {
      if (outcome.note) await dc.context.sendActivity(text(outcome.note));
      return dc.endDialog(outcome.value);
    }
    if (outcome.kind === 'retry') state.attempts++;
    const extra = outcome.message ? [outcome.message] : [];
    if (outcome.kind === 'retry' && state.attempts > HINT_AFTER) extra.push(t('common:ask.hint'));
    await this.prompt(dc, state, extra);
    return Dialog.EndOfTurn;
  }

  override async repromptDialog(
    context: DialogContext['context'],
    instance: { state: AskState },
  ): Promise<void> {
    await this.send(context, instance.state, []);
  }

  private prompt(dc: DialogContext, state: AskState, before: string[] = []): Promise<void> {
    return this.send(dc.context, state, before);
  }

  private async send(context: DialogContext['context'], state: AskState, before: string[]): Promise<void> {
    const { t } = turnOf(context);
    const q = question(state.q);
    const body = [...before, t(q.prompt, { ...state.params, max: 'max' in q ? q.max : undefined })].join(
      '\n\n',
    );
    await context.sendActivity(this.render(q, state, body, t));
  }

  private render(q: Question, state: AskState, body: string, t: TFunction): Partial<Activity> {
    switch (q.kind) {
      case 'choice':
        return withButtons(body, q.id, options(q.list, t, q.wording).map(toButton));
      case 'multi': {
        const opts = options(q.list, t, q.wording);
        const chosen = opts.filter((o) => state.selected.includes(o.value)).map((o) => o.label);
        const buttons: Button[] = opts.filter((o) => !state.selected.includes(o.value)).map(toButton);
        if (chosen.length > 0) buttons.push({ title: t('common:ask.done'), value: DONE });
        else if (q.none) buttons.push({ title: t(q.none), value: NONE });
        const head = chosen.length > 0 ? `${t('common:ask.selected', { list: chosen.join(', ') })}\n\n` : '';
        return withButtons(head + body, q.id, buttons, { multi: true });
      }
      case 'commune': {
        const buttons = state.candidates
          .map((code) => communeByCode(code))
          .filter((c) => c !== undefined)
          .map((c) => ({
            title: c.postalCodes[0] ? `${c.name} (${c.postalCodes[0]})` : c.name,
            value: c.code,
          }));
        return buttons.length > 0 ? withButtons(body, q.id, buttons) : text(body);
      }
      case 'confirm':
        return withButtons(body, q.id, [
          { title: t(q.yes), value: 'yes' },
          { title: t(q.no), value: 'no' },
        ]);
      case 'pick':
        return withButtons(body, q.id, pickOptions(q, t).map(toButton));
      case 'text':
        return q.optional
          ? withButtons(body, q.id, [{ title: t('common:ask.nothing'), value: NONE }])
          : text(body);
    }
  }

  private recognize(q: Question, input: Input, state: AskState, t: TFunction, locale: Locale): Outcome {
    if (input.kind === 'other') return { kind: 'again', message: t('common:ask.text_only') };
    if (input.kind === 'button' && input.q !== q.id)
      return { kind: 'again', message: t('common:ask.stale_button') };
    if (input.kind === 'text' && input.text === '') return { kind: 'retry', message: t('common:ask.empty') };
    switch (q.kind) {
      case 'choice': {
        const opts = options(q.list, t, q.wording);
        // A number of people typed as such ("2 personne", "deux"), before any label it resembles.
        const count = q.list === 'capacity' && input.kind === 'text' ? peopleCount(input.text) : undefined;
        if (count !== undefined) {
          if (opts.some((o) => o.value === String(count))) return { kind: 'answer', value: String(count) };
          const max = Math.max(...opts.map((o) => Number(o.value)));
          return { kind: 'retry', message: t('mentor:ask.capacity_max', { max }) };
        }
        const outcome = this.choiceAmong(opts, input, t);
        if (outcome.kind === 'answer' || q.list !== 'age' || input.kind !== 'text') return outcome;
        // An age typed as such ("j'ai 30 ans", "56") is its bracket.
        const bracket = ageBracket(input.text);
        return bracket ? { kind: 'answer', value: bracket } : outcome;
      }
      case 'multi':
        return this.multi(q, input, state, t, locale);
      case 'text':
        return this.freeText(q, input, t, locale);
      case 'commune':
        return this.commune(input, state, t);
      case 'pick':
        return this.choiceAmong(pickOptions(q, t), input, t);
      case 'confirm': {
        const v = input.kind === 'button' ? input.v : typedYesNo(input.text, q, t, locale);
        if (v === 'yes' || v === 'no') return { kind: 'answer', value: v };
        if (input.kind === 'button') return { kind: 'retry', message: t('common:ask.unknown_button') };
        return { kind: 'retry', message: t('common:ask.yes_or_no') };
      }
    }
  }

  private choiceAmong(opts: Option[], input: Input, t: TFunction): Outcome {
    if (input.kind === 'button') {
      return opts.some((o) => o.value === input.v)
        ? { kind: 'answer', value: input.v }
        : { kind: 'retry', message: t('common:ask.unknown_button') };
    }
    if (input.kind !== 'text') return { kind: 'retry', message: t('common:ask.not_understood') };
    const r = recognizeChoice(input.text, opts);
    if (r.kind === 'one') return { kind: 'answer', value: r.value };
    if (r.kind === 'ambiguous') {
      const labels = opts.filter((o) => r.values.includes(o.value)).map((o) => o.label);
      return { kind: 'retry', message: t('common:ask.ambiguous', { list: labels.join(' / ') }) };
    }
    return { kind: 'retry', message: t('common:ask.not_understood') };
  }

  private multi(
    q: Question & { kind: 'multi' },
    input: Input,
    state: AskState,
    t: TFunction,
    locale: Locale,
  ): Outcome {
    const opts = options(q.list, t, q.wording);
    const finish = (): Outcome =>
      state.selected.length > 0
        ? { kind: 'answer', value: [...state.selected] }
        : { kind: 'retry', message: t('common:ask.pick_one_first') };
    const add = (values: string[]): Outcome => {
      const fresh = values.filter((v) => !state.selected.includes(v));
      state.selected.push(...fresh.slice(0, q.max - state.selected.length));
      // More than the question takes: the person is told which ones are kept.
      if (fresh.length > 0 && fresh.some((v) => !state.selected.includes(v))) {
        const list = state.selected.map((v) => opts.find((o) => o.value === v)?.label ?? v).join(', ');
        return {
          kind: 'answer',
          value: [...state.selected],
          note: t('common:ask.max_kept', { max: q.max, list }),
        };
      }
      return state.selected.length >= q.max || state.selected.length === opts.length
        ? finish()
        : { kind: 'again' };
    };
    // "None" is exclusive: once something is chosen, it means "nothing more", like "C'est tout".
    const none = (): Outcome => (state.selected.length > 0 ? finish() : { kind: 'answer', value: [] });
    if (input.kind === 'button') {
      if (input.v === DONE) return finish();
      if (input.v === NONE && q.none) return none();
      return opts.some((o) => o.value === input.v)
        ? add([input.v])
        : { kind: 'retry', message: t('common:ask.unknown_button') };
    }
    if (input.kind !== 'text') return { kind: 'retry', message: t('common:ask.not_understood') };
    if (q.none && (saysNothing(input.text, locale) || normalize(input.text) === normalize(t(q.none))))
      return none();
    if (FINISH_WORDS.has(normalize(input.text)) || recognizeYesNo(input.text, locale) === 'no')
      return finish();
    const r = recognizeChoice(input.text, opts, { multiple: true });
    if (r.kind === 'one') return add([r.value]);
    if (r.kind === 'many') return add(r.values);
    if (r.kind === 'ambiguous') {
      const labels = opts.filter((o) => r.values.includes(o.value)).map((o) => o.label);
      return { kind: 'retry', message: t('common:ask.ambiguous', { list: labels.join(' / ') }) };
    }
    return { kind: 'retry', message: t('common:ask.not_understood') };
  }

  private freeText(q: Question & { kind: 'text' }, input: Input, t: TFunction, locale: Locale): Outcome {
    if (q.optional) {
      if (
        input.kind === 'button' ? input.v === NONE : input.kind === 'text' && saysNothing(input.text, locale)
      )
        return { kind: 'answer', value: '' };
      // "Autre chose ?" "Oui": then what?
      if (input.kind === 'text' && recognizeYesNo(input.text, locale) === 'yes')
        return { kind: 'again', message: t('common:ask.type_answer') };
    }
    if (input.kind !== 'text') return { kind: 'again', message: t('common:ask.type_answer') };
    const typed = input.text.replace(/\s+/g, ' ');
    const value = q.firstName ? firstNameIn(typed) || typed : typed;
    const length = [...value].length;
    if (length > q.max)
      return { kind: 'retry', message: t('common:ask.too_long', { count: length, max: q.max }) };
    if (!HAS_WORD.test(value)) return { kind: 'retry', message: t('common:ask.need_words') };
    if (length < q.min) return { kind: 'retry', message: t('common:ask.too_short') };
    if (q.firstName && (!FIRST_NAME.test(value) || value.split(' ').length > MAX_NAME_WORDS))
      return { kind: 'retry', message: t('onboarding:firstName_invalid') };
    if (q.format && !FORMATS[q.format].test(value))
      return { kind: 'retry', message: t(`proposals:contact.${q.format}_invalid`) };
    return { kind: 'answer', value };
  }

  private commune(input: Input, state: AskState, t: TFunction): Outcome {
    const pick = (code: string | undefined): Outcome | undefined => {
      const c = code && state.candidates.includes(code) ? communeByCode(code) : undefined;
      return c ? this.communeAnswer(c, t) : undefined;
    };
    // A value that is not one of the communes offered now: point to what works, the buttons shown
    // or, when none is shown, typing (it is not a button of an earlier question).
    if (input.kind === 'button')
      return (
        pick(input.v) ??
        (state.candidates.length > 0
          ? { kind: 'retry', message: t('common:ask.unknown_button') }
          : { kind: 'again', message: t('common:ask.type_answer') })
      );
    if (input.kind !== 'text') return { kind: 'retry', message: t('common:ask.not_understood') };
    const index = /^\d{1,2}$/.test(input.text) ? Number(input.text) - 1 : -1;
    const picked = pick(state.candidates[index]);
    if (picked) return picked;
    const found = findCommune(input.text);
    if (found.kind === 'found') return this.communeAnswer(found.commune, t);
    if (found.kind === 'ambiguous') {
      state.candidates = found.candidates.map((c) => c.code);
      return { kind: 'again', message: t('onboarding:commune.which') };
    }
    state.candidates = found.suggestions.map((c) => c.code);
    if (found.suggestions.length > 0) return { kind: 'again', message: t('onboarding:commune.did_you_mean') };
    return { kind: 'retry', message: t('onboarding:commune.not_found') };
  }

  private communeAnswer(c: { code: string; name: string; inArea: boolean }, t: TFunction): Outcome {
    const value: StoredCommune = { code: c.code, name: c.name, inArea: c.inArea };
    return {
      kind: 'answer',
      value,
      note: c.inArea ? undefined : t('onboarding:commune.out_of_area', { name: c.name }),
    };
  }
}

function toButton(o: { value: string; label: string }): Button {
  return { title: o.label, value: o.value };
}

/** The choices of a 'pick' question: other questions, named by their short name, then `back`. */
function pickOptions(q: Question & { kind: 'pick' }, t: TFunction): Option[] {
  const picks = q.choices.map((id) => {
    const label = t(question(id).name ?? id);
    return { value: id, label, labels: [label] };
  });
  if (!q.back) return picks;
  const back = t(q.back);
  return [...picks, { value: BACK, label: back, labels: [back, ...t(`${q.back}_typed`).split('|')] }];
}

/**
 * A typed answer to a card's buttons (`values`, each recognized by its `labels`: the button's title
 * and synonyms), outside any question. A negation outside the labels ("je n'accepte pas") is no
 * answer: these buttons decide something for someone else.
 */
export function typedChoice<T extends string>(
  activity: Partial<Activity>,
  values: readonly T[],
  labels: (value: T) => string[],
): T | undefined {
  if (activity.type !== 'message' || activity.value || !activity.text?.trim()) return undefined;
  const options = values.map((value) => ({ value, labels: labels(value) }));
  const r = recognizeChoice(activity.text, options, { refuseNegated: true });
  return r.kind === 'one' ? (r.value as T) : undefined;
}

/**
 * A typed answer to a yes/no question: one of its buttons' labels typed out ("Modifier", "Je
 * refuse la charte"), exactly, or the usual words for yes and no. Only exactly: "je n'accepte pas
 * la charte" names a label too.
 */
function typedYesNo(
  text: string,
  q: { yes: string; no: string; strict?: boolean },
  t: TFunction,
  locale: Locale,
): 'yes' | 'no' | undefined {
  const typed = normalize(text);
  if (typed === normalize(t(q.yes))) return 'yes';
  if (typed === normalize(t(q.no))) return 'no';
  // "C'est bon" may mean "never mind": a strict question takes a plain yes or no only.
  if (q.strict) return STRICT_YES_NO[typed];
  return recognizeYesNo(text, locale);
}

const STRICT_YES_NO: Record<string, 'yes' | 'no'> = { oui: 'yes', yes: 'yes', non: 'no', no: 'no' };

/**
 * The age bracket of an age typed alone or said plainly ("30", "j'ai 30 ans", "I'm 56"), and only
 * then: "je n'ai pas 18 ans", "presque 18" are not ages of 18.
 */
function ageBracket(text: string): string | undefined {
  const typed = normalize(text);
  // "plus de 60 ans", "over 60": past the last bracket's start, that is the last bracket.
  const over = /^(?:j ai |i m |i am |im )?(?:plus de|over) (\d{2,3})(?: ans?| years old| years)?$/.exec(
    typed,
  );
  if (over && Number(over[1]) >= 55 && Number(over[1]) <= 110) return 'over_55';
  const plain = /^(?:j ai |i m |i am |im )?(\d{1,3})(?: ans?| years old| years| yo)?$/.exec(typed);
  if (!plain) return undefined;
  const age = Number(plain[1]);
  if (age < 10 || age > 110) return undefined;
  return AGE_BRACKETS.find(([upTo]) => age <= upTo)?.[1] ?? 'over_55';
}

const NUMBER_WORDS: Record<string, number> = {
  un: 1,
  une: 1,
  deux: 2,
  trois: 3,
  quatre: 4,
  cinq: 5,
  six: 6,
  dix: 10,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
};

/** A number of people typed alone or plainly ("2", "deux personne", "3 mentorés", "two people"). */
function peopleCount(text: string): number | undefined {
  const plain =
    /^(\d{1,2}|[a-z]+)(?: (?:personnes?|mentores?|mentorees?|mentees?|people|persons?|max|maximum))*$/.exec(
      normalize(text),
    );
  const word = plain?.[1];
  if (word === undefined) return undefined;
  const n = /^\d+$/.test(word) ? Number(word) : NUMBER_WORDS[word];
  return n === 0 ? undefined : n;
}

/** The age list's brackets, by their oldest age. */
const AGE_BRACKETS: Array<[number, string]> = [
  [17, 'under_18'],
  [25, '18_25'],
  [35, '26_35'],
  [45, '36_45'],
  [55, '46_55'],
];
