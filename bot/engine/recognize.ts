/**
 * Fast recognition of a free-text answer (or a button value) against a list of options, so that
 * botbuilder's ChoicePrompt never runs its French number recognizer (which costs seconds of CPU).
 *
 * Everything here is plain string work on short inputs: input over 200 characters is refused at
 * once, typo distances are bounded and skipped when lengths differ too much, and the normalized
 * forms of each option are cached per option object.
 */

export interface ChoiceOption {
  /** Stable id, e.g. 'job_seeker'. Buttons post it. */
  value: string;
  /** Localized labels; the first is the display label, e.g. ['Demandeur·se d'emploi', 'chômage']. */
  labels: string[];
}

export type Recognized =
  | { kind: 'one'; value: string }
  | { kind: 'many'; values: string[] }
  | { kind: 'none' }
  | { kind: 'ambiguous'; values: string[] };

/** Longer input (after trim) is not recognized at all: it caps the work per message. */
const MAX_INPUT = 200;
const NONE: Recognized = { kind: 'none' };

const COMBINING_MARKS = /\p{M}+/gu;
const NOT_WORD = /[^\p{L}\p{N}]+/gu;

/** Anything but printable ASCII (then the slow, Unicode-aware path is needed). */
const NOT_ASCII = /[^ -~]/;
const LIGATURES: Record<string, string> = { œ: 'oe', æ: 'ae', ß: 'ss' };

/** Lowercase, compatibility-decompose, strip accents; punctuation is kept. */
function fold(text: string): string {
  const lower = text.toLowerCase();
  if (!NOT_ASCII.test(lower)) return lower;
  return lower
    .normalize('NFKD')
    .replace(COMBINING_MARKS, '')
    .replace(/[œæß]/g, (letter) => LIGATURES[letter] ?? letter);
}

/**
 * Lowercase, strip accents, turn every run of non-letters/non-digits (apostrophes, ·, -, _, /,
 * punctuation, emoji, spaces) into one space, trim. `Demandeur·se d’emploi` → `demandeur se d emploi`.
 * (Labels are also expanded into their masculine and feminine forms, see `inclusiveForms`.)
 */
export function normalize(text: string): string {
  return fold(text).replace(NOT_WORD, ' ').trim();
}

// ---------------------------------------------------------------------------------------------
// Words

/** Ignored when comparing word sequences (both in the input and in the labels). */
const STOPWORDS = new Set([
  'et',
  'ou',
  'puis',
  'le',
  'la',
  'les',
  'l',
  'de',
  'des',
  'du',
  'd',
  'en',
  'un',
  'une',
  'a',
  'au',
  'aux',
  'dans',
  'chez',
  'sur',
  'pour',
  'par',
  'avec',
  'je',
  'j',
  'me',
  'm',
  'moi',
  'tu',
  'te',
  't',
  'il',
  'elle',
  'on',
  'nous',
  'vous',
  'se',
  's',
  'y',
  'suis',
  'ai',
  'c',
  'ce',
  'est',
  'qu',
  'que',
  'mon',
  'ma',
  'mes',
  'plutot',
  'and',
  'or',
  'the',
  'an',
  'i',
  'am',
  'im',
  'my',
  'of',
  'in',
  'to',
  'at',
]);

/** Words that separate the items of a list ("numérique et commerce"). All are stopwords too. */
const CONNECTORS = new Set(['et', 'ou', 'puis', 'and', 'or']);
/**
 * Words that turn a label named into its refusal, for `refuseNegated` ("non" and "no" are answers
 * of their own; a lone "ne" is not read: "je ne parle que français").
 */
const NEGATIONS = new Set(['pas', 'plus', 'jamais', 'sauf', 'not', 'don', 'doesn', 'never', 'except']);
/**
 * Words that refuse the label named right after them (articles and prepositions aside), always:
 * "pas le soir", "sauf le week-end", "pas en visio" name an option to rule it out. ("plus" is also
 * "more": "plus de 55 ans".)
 */
const REFUSING = new Set(['pas', 'jamais', 'sauf', 'hormis', 'not', 'never', 'except']);
/**
 * A refusal followed by these refuses nothing: "pas de travail" wants work, "pas que le français"
 * and "not only English" keep the language named.
 */
const NOT_REFUSED_AFTER = new Set(['de', 'd', 'du', 'des', 'of', 'any', 'que', 'qu', 'only', 'just']);

/** Raw characters that separate the items of a list. */
const LIST_SEPARATORS = /[,;\n\r+&/|]+/;

/** Cardinal words are compared as digits, so "les 2" matches the label "Les deux". */
const CARDINAL_DIGITS = new Map([
  ['deux', '2'],
  ['trois', '3'],
  ['quatre', '4'],
  ['cinq', '5'],
  ['six', '6'],
  ['sept', '7'],
  ['huit', '8'],
  ['neuf', '9'],
  ['dix', '10'],
]);

const DIGITS = /^\d+$/;

/** Content words of a normalized text: stopwords dropped, cardinal words as digits. */
function contentTokens(normalized: string | string[]): string[] {
  const out: string[] = [];
  for (const token of typeof normalized === 'string' ? normalized.split(' ') : normalized) {
    if (token === '' || STOPWORDS.has(token)) continue;
    out.push(CARDINAL_DIGITS.get(token) ?? token);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Inclusive writing: "Demandeur·se" → "demandeur" and "demandeuse"

const INCLUSIVE_SUFFIXES = 'e|es|se|ses|euse|euses|rice|rices|trice|trices|ne|nes|ve|ves|ere|eres';
/** "étudiant(e)" and "étudiant(e)s" → "étudiant·e", "étudiant·es". */
const PARENTHESIZED = /(?<=\p{L})\((\p{L}{1,5})\)/gu;
/** "étudiant.e" or "étudiant-e" with a known feminine suffix → "étudiant·e". */
const DOTTED = new RegExp(`(?<=\\p{L})[.-](${INCLUSIVE_SUFFIXES})(?!\\p{L})`, 'gu');
/** The plural of "étudiant.e.s", once the first dot is a middle dot. */
const DOTTED_PLURAL = /(?<=[·•⋅∙]\p{L}+)\.s(?!\p{L})/gu;
const MIDDLE_DOT = /(\p{L}+)[·•⋅∙](\p{L}+)(?:[·•⋅∙](\p{L}+))?/gu;
const HAS_MARK = /[·•⋅∙]/;

function feminine(word: string, suffix: string): string {
  if (word.endsWith('eur')) {
    if (suffix === 'se') return `${word.slice(0, -1)}se`; // demandeur·se
    if (suffix === 'euse') return `${word.slice(0, -3)}euse`; // vendeur·euse
    if (suffix === 'rice') return `${word.slice(0, -3)}rice`; // créateur·rice
    if (suffix === 'trice') return `${word.slice(0, -4)}trice`; // créateur·trice
  }
  if (suffix === 've' && word.endsWith('f')) return `${word.slice(0, -1)}ve`; // actif·ve
  if (suffix === 'ere' && word.endsWith('er')) return `${word.slice(0, -2)}ere`; // ouvrier·ère
  if ((suffix === 'se' || suffix === 'euse') && word.endsWith('eux')) return `${word.slice(0, -1)}se`;
  return word + suffix; // étudiant·e, musicien·ne, chef·fe
}

/** The masculine and the feminine forms of a folded label, or [] when it has no inclusive marks. */
function inclusiveForms(folded: string): string[] {
  const marked = folded.replace(PARENTHESIZED, '·$1').replace(DOTTED, '·$1').replace(DOTTED_PLURAL, '·s');
  if (!HAS_MARK.test(marked)) return [];
  const forms: string[] = [];
  for (const gender of ['m', 'f'] as const) {
    forms.push(
      marked.replace(MIDDLE_DOT, (_all, word: string, first: string, second: string | undefined) => {
        let suffix = first;
        let plural = second === 's' || second === 'x';
        if (suffix === 's' || suffix === 'x') return word + suffix;
        if (suffix.length > 1 && suffix.endsWith('s')) {
          suffix = suffix.slice(0, -1);
          plural = true;
        }
        const base = gender === 'm' ? word : feminine(word, suffix);
        return plural ? `${base}s` : base;
      }),
    );
  }
  return forms;
}

// ---------------------------------------------------------------------------------------------
// Typos

/** A rough French phonetic key, so "numerik" meets "numérique" and "comerce" meets "commerce". */
function phoneticWord(word: string): string {
  let key = word
    .replace(/ph/g, 'f')
    .replace(/ch/g, 'S')
    .replace(/ck/g, 'k')
    .replace(/qu?/g, 'k')
    .replace(/c(?=[eiy])/g, 's')
    .replace(/c/g, 'k')
    .replace(/tion/g, 'sion')
    .replace(/eau|au/g, 'o')
    .replace(/[ae]i/g, 'e')
    .replace(/y/g, 'i')
    .replace(/gu(?=[ei])/g, 'g')
    .replace(/h/g, '')
    .replace(/(.)\1+/g, '$1');
  if (key.length > 3) key = key.replace(/[sx]$/, '');
  if (key.length > 3) key = key.replace(/e$/, '');
  return key;
}

function phonetic(text: string): string {
  return text.split(' ').map(phoneticWord).join(' ');
}

/** Rows reused by `distance` (it is synchronous), grown on demand. */
let rows = [new Int32Array(64), new Int32Array(64), new Int32Array(64)] as const;

/**
 * Damerau-Levenshtein distance (optimal string alignment), bounded: any result above `max` is
 * reported as `max + 1`. Only the diagonal band of width `2 max + 1` is computed, and the work
 * stops as soon as a whole row exceeds `max`.
 */
function distance(a: string, b: string, max: number): number {
  if (a === b) return 0;
  const n = a.length;
  const m = b.length;
  const far = max + 1;
  if (Math.abs(n - m) > max) return far;
  if (n === 0 || m === 0) return Math.max(n, m);
  if (rows[0].length <= m + 1) rows = [new Int32Array(m + 2), new Int32Array(m + 2), new Int32Array(m + 2)];
  let [before, previous, current] = rows;
  const edge = Math.min(m, far);
  for (let j = 0; j <= edge; j++) previous[j] = j;
  previous[edge + 1] = far;
  for (let i = 1; i <= n; i++) {
    const low = Math.max(1, i - max);
    const high = Math.min(m, i + max);
    current[low - 1] = low === 1 ? Math.min(i, far) : far;
    let rowMin = far;
    const ai = a.charCodeAt(i - 1);
    for (let j = low; j <= high; j++) {
      const bj = b.charCodeAt(j - 1);
      let value = Math.min(
        (previous[j] ?? far) + 1,
        (current[j - 1] ?? far) + 1,
        (previous[j - 1] ?? far) + (ai === bj ? 0 : 1),
      );
      if (i > 1 && j > 1 && ai === b.charCodeAt(j - 2) && a.charCodeAt(i - 2) === bj) {
        value = Math.min(value, (before[j - 2] ?? far) + 1);
      }
      if (value > far) value = far;
      current[j] = value;
      if (value < rowMin) rowMin = value;
    }
    current[high + 1] = far;
    if (rowMin > max) return far;
    [before, previous, current] = [previous, current, before];
  }
  return previous[m] ?? far;
}

// ---------------------------------------------------------------------------------------------
// Prepared options

interface Form {
  /** The normalized label (or one of its inclusive forms). */
  full: string;
  /** Its content words. */
  tokens: string[];
  /** `tokens` joined by spaces. */
  key: string;
  /** Only digits ("Les deux"): matched by equality only, never inside a sentence. */
  numeric: boolean;
}

interface TypoTarget {
  text: string;
  phonetic: string;
  max: number;
  /** Its numbers: a typo is never taken to change one ("plus de 18 ans" is not "plus de 55 ans"). */
  numbers: string;
}

/** The numbers of a normalized text, e.g. "18 25" for "de 18 a 25 ans". */
function numbersOf(text: string): string {
  return text.match(/\d+/g)?.join(' ') ?? '';
}

interface Prepared {
  /** The labels it was prepared from (a copy), to notice labels changed in place. */
  labels: string[];
  forms: Form[];
  typos: TypoTarget[];
  /** Content words of 5+ letters, for "a word of the label is in the input". */
  words: Set<string>;
}

const preparedCache = new WeakMap<ChoiceOption, Prepared>();

function prepare(option: ChoiceOption): Prepared {
  const { labels } = option;
  const cached = preparedCache.get(option);
  if (
    cached &&
    cached.labels.length === labels.length &&
    cached.labels.every((label, i) => label === labels[i])
  ) {
    return cached;
  }

  // Normalized label → whether it is worth a typo comparison ("demandeur se d emploi" is not,
  // "demandeur d emploi" and "demandeuse d emploi" are).
  const fulls = new Map<string, boolean>();
  for (const label of option.labels) {
    const genders = inclusiveForms(fold(label));
    for (const form of genders) fulls.set(normalize(form), true);
    const full = normalize(label);
    if (!fulls.has(full)) fulls.set(full, genders.length === 0);
  }
  fulls.delete('');

  const forms: Form[] = [];
  const typos = new Map<string, TypoTarget>();
  const words = new Set<string>();
  const addTypo = (text: string) => {
    if (text.length < 3 || typos.has(text)) return;
    // Two edits only in a long word: "majeur" is not a typo of "mineur".
    typos.set(text, {
      text,
      phonetic: phonetic(text),
      max: text.length <= 7 ? 1 : 2,
      numbers: numbersOf(text),
    });
  };
  for (const [full, typo] of fulls) {
    const tokens = contentTokens(full);
    const key = tokens.join(' ');
    forms.push({ full, tokens, key, numeric: tokens.every((t) => DIGITS.test(t)) });
    // The input's content words are compared with the label's content words.
    if (typo) addTypo(key);
    for (const token of tokens) {
      if (token.length < 5 || DIGITS.test(token)) continue;
      words.add(token);
      if (typo && tokens.length > 1) addTypo(token);
    }
  }
  const result: Prepared = { labels: [...labels], forms, typos: [...typos.values()], words };
  preparedCache.set(option, result);
  return result;
}

/** Lookups over a whole list of options, so that a call does map look-ups rather than loops. */
interface Index {
  prepared: Prepared[];
  /** Normalized label → options. */
  byFull: Map<string, number[]>;
  /** Content words joined → options. */
  byKey: Map<string, number[]>;
  /** Content word → the forms (of non-numeric labels) that contain it. */
  byToken: Map<string, { option: number; form: Form }[]>;
  /** Word of 5+ letters → options whose labels have it. */
  owners: Map<string, number[]>;
  /** Typo targets by increasing length. */
  typos: (TypoTarget & { option: number })[];
}

const indexCache = new WeakMap<ChoiceOption[], Index>();

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else if (!list.includes(value)) list.push(value);
}

function indexOf(options: ChoiceOption[]): Index {
  const prepared = options.map(prepare);
  const cached = indexCache.get(options);
  if (
    cached &&
    cached.prepared.length === prepared.length &&
    cached.prepared.every((p, i) => p === prepared[i])
  ) {
    return cached;
  }
  const index: Index = {
    prepared,
    byFull: new Map(),
    byKey: new Map(),
    byToken: new Map(),
    owners: new Map(),
    typos: [],
  };
  prepared.forEach((option, i) => {
    for (const form of option.forms) {
      push(index.byFull, form.full, i);
      if (form.key !== '') push(index.byKey, form.key, i);
      if (!form.numeric) {
        for (const token of new Set(form.tokens)) push(index.byToken, token, { option: i, form });
      }
    }
    for (const word of option.words) push(index.owners, word, i);
    for (const target of option.typos) index.typos.push({ ...target, option: i });
  });
  index.typos.sort((x, y) => x.text.length - y.text.length);
  indexCache.set(options, index);
  return index;
}

// ---------------------------------------------------------------------------------------------
// Numbers: "2", "2.", "n°2", "le 2", "deux", "second", "deuxième", "1, 3 et 4"

const LAST = -1;
const NUMBER_WORDS = new Map<string, number>([
  ['un', 1],
  ['une', 1],
  ['deux', 2],
  ['trois', 3],
  ['quatre', 4],
  ['cinq', 5],
  ['six', 6],
  ['sept', 7],
  ['huit', 8],
  ['neuf', 9],
  ['dix', 10],
  ['premier', 1],
  ['premiere', 1],
  ['second', 2],
  ['seconde', 2],
  ['deuxieme', 2],
  ['troisieme', 3],
  ['quatrieme', 4],
  ['cinquieme', 5],
  ['sixieme', 6],
  ['septieme', 7],
  ['huitieme', 8],
  ['neuvieme', 9],
  ['dixieme', 10],
  ['dernier', LAST],
  ['derniere', LAST],
  ['one', 1],
  ['two', 2],
  ['three', 3],
  ['four', 4],
  ['five', 5],
  ['first', 1],
  ['third', 3],
  ['last', LAST],
]);
const NUMBER_TOKEN = /^(?:n|no|num)?(\d{1,3})(?:er|ere|re|e|eme|em|nd|nde|d|de|st|rd|th)?$/;

/** Words around a position that change nothing: "le 2", "n° 2", "l'option 2", "le 2 svp". */
const NUMBER_NOISE = new Set([
  'le',
  'la',
  'l',
  'n',
  'no',
  'nr',
  'num',
  'numero',
  'option',
  'choix',
  'reponse',
  'proposition',
  'c',
  'est',
  'je',
  'j',
  'prends',
  'choisis',
  'plutot',
  'svp',
  'stp',
  'merci',
  'please',
  'et',
  'ou',
  'puis',
  'and',
  'or',
]);

function numberOf(token: string): number | undefined {
  const word = NUMBER_WORDS.get(token);
  if (word !== undefined) return word;
  const digits = NUMBER_TOKEN.exec(token)?.[1];
  return digits === undefined ? undefined : Number.parseInt(digits, 10);
}

/** 0-based indexes named by position, or undefined when the text is not only positions (or one is out of range). */
function positions(words: string[], count: number): number[] | undefined {
  const found: number[] = [];
  for (const token of words) {
    if (NUMBER_NOISE.has(token)) continue;
    const n = numberOf(token);
    if (n === undefined) return undefined;
    const index = n === LAST ? count - 1 : n - 1;
    if (index < 0 || index >= count) return undefined;
    found.push(index);
  }
  return found.length > 0 ? found : undefined;
}

// ---------------------------------------------------------------------------------------------
// Recognition

function verdict(
  options: ChoiceOption[],
  matched: Iterable<number>,
  unsure: Iterable<number>,
  multiple: boolean,
): Recognized {
  const valuesOf = (indexes: Set<number>) => [
    ...new Set([...indexes].sort((x, y) => x - y).map((i) => options[i]?.value ?? '')),
  ];
  const sure = new Set(matched);
  const doubtful = new Set(unsure);
  if (doubtful.size > 0) {
    for (const i of sure) doubtful.add(i);
    const values = valuesOf(doubtful);
    if (values.length > 1) return { kind: 'ambiguous', values };
    for (const i of doubtful) sure.add(i);
  }
  const values = valuesOf(sure);
  const [first] = values;
  if (first === undefined) return NONE;
  if (values.length === 1) return { kind: 'one', value: first };
  return multiple ? { kind: 'many', values } : { kind: 'ambiguous', values };
}

function containsSequence(haystack: string[], needle: string[], at: number): boolean {
  for (let k = 0; k < needle.length; k++) if (haystack[at + k] !== needle[k]) return false;
  return true;
}

interface Loose {
  matched: number[];
  unsure: number[];
}

const NOTHING: Loose = { matched: [], unsure: [] };

/** Rules 4 (the label contains the words) and 5 (a close typo) for one list item, e.g. "comerce". */
function recognizeItem(tokens: string[], index: Index): Loose {
  const key = tokens.join(' ');
  // The label contains the input as whole words.
  if (key.length >= 3) {
    const containing = new Set<number>();
    for (const { option, form } of index.byToken.get(tokens[0] ?? '') ?? []) {
      if (tokens.every((t) => form.tokens.includes(t))) containing.add(option);
    }
    if (containing.size === 1) return { matched: [...containing], unsure: [] };
    if (containing.size > 1) return { matched: [], unsure: [...containing] };
  }
  // The input contains a word that belongs to one label only ("je cherche un emploi").
  const named = new Set<number>();
  for (const token of tokens) {
    const owners = index.owners.get(token);
    const owner = owners?.[0];
    if (owners?.length === 1 && owner !== undefined) named.add(owner);
  }
  if (named.size > 0) return { matched: [...named], unsure: [] };
  // A close typo: targets are sorted by length, and a distance ≤ 2 allows a length difference ≤ 2.
  if (key.length < 3) return NOTHING;
  const { typos } = index;
  let low = 0;
  let high = typos.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((typos[middle]?.text.length ?? 0) < key.length - 2) low = middle + 1;
    else high = middle;
  }
  let keyPhonetic: string | undefined;
  const keyNumbers = numbersOf(key);
  let best = Number.POSITIVE_INFINITY;
  const bestOptions = new Set<number>();
  for (let t = low; t < typos.length; t++) {
    const target = typos[t];
    if (target === undefined || target.text.length > key.length + 2) break;
    if (target.numbers !== keyNumbers) continue;
    // The phonetic key is a second chance that costs half an edit.
    let score = distance(key, target.text, target.max);
    if (score > 0) {
      keyPhonetic ??= phonetic(key);
      score = Math.min(score, distance(keyPhonetic, target.phonetic, target.max) + 0.5);
    }
    if (score > target.max || score > best) continue;
    if (score < best) {
      best = score;
      bestOptions.clear();
    }
    bestOptions.add(target.option);
  }
  if (bestOptions.size === 1) return { matched: [...bestOptions], unsure: [] };
  return { matched: [], unsure: [...bestOptions] };
}

/**
 * Recognize `input` against `options`. In order:
 * 1. the exact value of an option (a button) → one;
 * 2. positions, 1-based: "2", "2.", "n°2", "le 2", "deux", "second", "deuxième", "dernier"; several
 *    ("1, 3 et 4") → many with `multiple`, ambiguous without. (An input equal to a label wins over a
 *    position, for labels that are themselves numbers.)
 * 3. a normalized label (masculine and feminine forms included), or the same content words → one;
 * 4. labels contained in the input, or the input (≥ 3 chars) contained in a label, or a word that
 *    belongs to one option only → one, or ambiguous/many when several options are named;
 * 5. a close typo (Damerau-Levenshtein ≤ 1 for labels ≤ 5 chars, ≤ 2 longer, plus a French
 *    phonetic key); a tie → ambiguous;
 * 6. otherwise none. Empty, emoji-only or over-200-character input → none at once.
 *
 * With `multiple`, one recognized option is still `one`; two or more are `many`. Values come in
 * the order of `options`.
 */
export function recognizeChoice(
  input: string,
  options: ChoiceOption[],
  opts: { multiple?: boolean; refuseNegated?: boolean } = {},
): Recognized {
  const multiple = opts.multiple === true;
  const raw = input.trim();
  if (raw === '' || raw.length > MAX_INPUT || options.length === 0) return NONE;

  // 1. A button posts the value.
  const byValue = options.find((option) => option.value === raw);
  if (byValue) return { kind: 'one', value: byValue.value };

  // Normalized pieces between list separators; joined, they are the normalized input.
  const pieces: string[] = [];
  for (const piece of fold(raw).split(LIST_SEPARATORS)) {
    const normalized = piece.replace(NOT_WORD, ' ').trim();
    if (normalized !== '') pieces.push(normalized);
  }
  if (pieces.length === 0) return NONE;
  const text = pieces.join(' ');
  const words = text.split(' ');
  const index = indexOf(options);

  // 3 (first half). The label itself: a label "2" is not a position.
  const sameText = index.byFull.get(text);
  if (sameText) return verdict(options, [], sameText, multiple);

  // 2. Positions.
  const indexes = positions(words, options.length);
  if (indexes) return verdict(options, indexes, [], multiple);

  // 3. The same content words ("je suis au chômage", "les 2").
  const tokens = contentTokens(words);
  if (tokens.length === 0) return NONE;
  const sameKey = index.byKey.get(tokens.join(' '));
  if (sameKey) return verdict(options, [], sameKey, multiple);

  // 4. Labels named in the input, as whole-word sequences (list separators are ignored here).
  const items: string[][] = [];
  // For each content word, in order: whether a refusal right before it refuses it ("pas le
  // soir", "sauf le week-end"): not at the start of an item, nor after "de" ("pas d'emploi",
  // "pas de travail": a want, not a refusal) or "que" ("pas que le français": not only).
  const refusable: boolean[] = [];
  for (const piece of pieces) {
    let item: string[] = [];
    let between: string[] = [];
    for (const token of piece.split(' ')) {
      if (CONNECTORS.has(token)) {
        items.push(item);
        item = [];
      } else if (STOPWORDS.has(token)) {
        between.push(token);
      } else {
        refusable.push(item.length > 0 && !between.some((w) => NOT_REFUSED_AFTER.has(w)));
        item.push(CARDINAL_DIGITS.get(token) ?? token);
        between = [];
      }
    }
    items.push(item);
  }
  const flat: string[] = [];
  for (const item of items) flat.push(...item);
  const spans: { option: number; start: number; end: number }[] = [];
  flat.forEach((token, at) => {
    for (const { option, form } of index.byToken.get(token) ?? []) {
      if (form.tokens[0] === token && containsSequence(flat, form.tokens, at)) {
        spans.push({ option, start: at, end: at + form.tokens.length });
      }
    }
  });
  // "commerce de gros" names "Commerce de gros", not also "Commerce".
  const named = new Set<number>();
  const covered = new Array<boolean>(flat.length).fill(false);
  for (const span of spans) {
    for (let k = span.start; k < span.end; k++) covered[k] = true;
    if (refusable[span.start] && REFUSING.has(flat[span.start - 1] ?? '')) continue;
    const inside = spans.some(
      (other) =>
        other.option !== span.option &&
        other.start <= span.start &&
        span.end <= other.end &&
        other.end - other.start > span.end - span.start,
    );
    if (!inside) named.add(span.option);
  }

  // With `refuseNegated`, a negation outside any label named ("ça ne m'intéresse pas", "pourquoi
  // pas"): naming a label is not choosing it, and the question is asked again. Only where a wrong
  // pick costs someone else (a request sent to a mentor): elsewhere a negation is as often part
  // of the answer ("je n'ai pas d'emploi") and the summary shows what was understood.
  if (opts.refuseNegated && flat.some((token, at) => NEGATIONS.has(token) && !covered[at])) return NONE;

  // 4 and 5 for each list item none of whose words was part of a named label.
  const matched = new Set(named);
  const unsure = new Set<number>();
  let offset = 0;
  for (const item of items) {
    const start = offset;
    offset += item.length;
    if (item.length === 0 || covered.slice(start, offset).some(Boolean)) continue;
    const loose = recognizeItem(item, index);
    for (const i of loose.matched) matched.add(i);
    for (const i of loose.unsure) unsure.add(i);
  }
  return verdict(options, matched, unsure, multiple);
}

// ---------------------------------------------------------------------------------------------
// Yes / no

/** Yes and no phrases per locale (read once, when the module loads). Emoji are matched anywhere. */
export const YES_NO: Record<'fr' | 'en', { yes: string[]; no: string[] }> = {
  fr: {
    yes: [
      'oui',
      'ouais',
      'ouai',
      'ok',
      'okay',
      "d'accord",
      'dac',
      'daccord',
      'bien sûr',
      'volontiers',
      'yes',
      'exact',
      'exactement',
      'tout à fait',
      "c'est ça",
      "c'est correct",
      'correct',
      "j'accepte",
      'accepte',
      "je suis d'accord",
      'avec plaisir',
      "c'est bon",
      'ok pour moi',
      'ça marche',
      "d'acc",
      'dacc',
      'ça me va',
      '👍',
      '✅',
    ],
    no: [
      'non',
      'nan',
      'no',
      'pas maintenant',
      "pas pour l'instant",
      'pas pour le moment',
      'plus tard',
      'je refuse',
      'refuse',
      'non merci',
      "pas d'accord",
      'pas du tout',
      '👎',
      '❌',
    ],
  },
  en: {
    yes: [
      'yes',
      'yeah',
      'yep',
      'yup',
      'sure',
      'of course',
      'ok',
      'okay',
      'i agree',
      'agree',
      'i accept',
      'accept',
      '👍',
      '✅',
    ],
    no: [
      'no',
      'nope',
      'no thanks',
      'not now',
      'not yet',
      'later',
      'decline',
      'i decline',
      'refuse',
      'i refuse',
      '👎',
      '❌',
    ],
  },
};

/** Words that neither accept nor refuse: "oui merci", "ok super". */
const FILLERS: Record<'fr' | 'en', string[]> = {
  fr: [
    'merci',
    'merci beaucoup',
    'super',
    'parfait',
    'genial',
    'cool',
    'top',
    'bien',
    'tres bien',
    'bon',
    'ben',
    'bah',
    'alors',
    'allez',
    'ah',
    'eh',
    'oh',
    'stp',
    'svp',
    "s'il te plaît",
    "s'il vous plaît",
  ],
  en: ['thanks', 'thank you', 'thx', 'please', 'great', 'cool', 'oh', 'ah', 'well'],
};

interface Phrase {
  tokens: string[];
  kind: 'yes' | 'no' | 'filler';
}

interface YesNoTable {
  phrases: Phrase[];
  /** The same phrases with repeated letters squeezed ("ouiii", "nooon"). */
  squeezed: Phrase[];
  yesSigns: string[];
  noSigns: string[];
}

const squeeze = (token: string) => token.replace(/(.)\1+/g, '$1');

function buildTable(locales: ('fr' | 'en')[]): YesNoTable {
  const table: YesNoTable = { phrases: [], squeezed: [], yesSigns: [], noSigns: [] };
  const add = (text: string, kind: Phrase['kind']) => {
    const normalized = normalize(text);
    if (normalized === '') {
      if (kind === 'yes') table.yesSigns.push(text);
      if (kind === 'no') table.noSigns.push(text);
      return;
    }
    const tokens = normalized.split(' ');
    table.phrases.push({ tokens, kind });
    table.squeezed.push({ tokens: tokens.map(squeeze), kind });
  };
  for (const locale of locales) {
    for (const text of YES_NO[locale].yes) add(text, 'yes');
    for (const text of YES_NO[locale].no) add(text, 'no');
    for (const text of FILLERS[locale]) add(text, 'filler');
  }
  return table;
}

/** Each locale also accepts the other's words: a French speaker may well type "yes" or "sure". */
const YES_NO_TABLES = { fr: buildTable(['fr', 'en']), en: buildTable(['en', 'fr']) };

/** Cover the words with phrases, longest first; undefined when a word is not covered. */
function cover(tokens: string[], phrases: Phrase[]): { yes: boolean; no: boolean } | undefined {
  let yes = false;
  let no = false;
  let at = 0;
  while (at < tokens.length) {
    let best: Phrase | undefined;
    for (const phrase of phrases) {
      if (phrase.tokens.length > (best?.tokens.length ?? 0) && containsSequence(tokens, phrase.tokens, at)) {
        best = phrase;
      }
    }
    if (!best) return undefined;
    if (best.kind === 'yes') yes = true;
    if (best.kind === 'no') no = true;
    at += best.tokens.length;
  }
  return { yes, no };
}

/**
 * 'yes', 'no', or undefined when unclear ("peut-être", "oui et non", "merci"). Accepts
 * punctuation, emoji (👍 ✅ 👎 ❌), politeness ("oui merci", "ok super", "non merci") and
 * repeated letters ("ouiii"). The other locale's words are accepted too ("yes" in French).
 */
export function recognizeYesNo(input: string, locale: 'fr' | 'en' = 'fr'): 'yes' | 'no' | undefined {
  const raw = input.trim();
  if (raw === '' || raw.length > MAX_INPUT) return undefined;
  const table = YES_NO_TABLES[locale];
  let yes = table.yesSigns.some((sign) => raw.includes(sign));
  let no = table.noSigns.some((sign) => raw.includes(sign));
  const text = normalize(raw);
  if (text !== '') {
    const tokens = text.split(' ');
    const found = cover(tokens, table.phrases) ?? cover(tokens.map(squeeze), table.squeezed);
    if (!found) return undefined;
    yes ||= found.yes;
    no ||= found.no;
  }
  if (yes === no) return undefined;
  return yes ? 'yes' : 'no';
}
