/**
 * French communes: validate what a user typed as "my commune" (a name, a postal code, or both)
 * against the official list (`@etalab/decoupage-administratif`).
 *
 * The data is loaded lazily, once, on the first call. Only "commune-actuelle" entries are kept, plus the
 * municipal arrondissements of Marseille (13201–13216), which are returned when the user names one
 * ("Marseille 5e", "13005", "5e arrondissement de Marseille").
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

export interface Commune {
  /** INSEE code, e.g. '13055'. */
  code: string;
  name: string;
  postalCodes: string[];
  departement: string;
  region: string;
  /** True when the département is one of the hub's (default ['13']). */
  inArea: boolean;
}

export type CommuneMatch =
  | { kind: 'found'; commune: Commune }
  | { kind: 'ambiguous'; candidates: Commune[] }
  | { kind: 'not_found'; suggestions: Commune[] };

const DEFAULT_AREA_DEPARTEMENTS: readonly string[] = ['13'];

const MAX_INPUT_LENGTH = 100;
const MAX_CANDIDATES = 5;
const MAX_SUGGESTIONS = 3;
/** Communes whose municipal arrondissements we resolve (only Marseille: the hub's city). */
const ARRONDISSEMENT_PARENTS = new Set(['13055']);

interface RawEntry {
  code?: unknown;
  nom?: unknown;
  type?: unknown;
  codesPostaux?: unknown;
  departement?: unknown;
  region?: unknown;
  population?: unknown;
  commune?: unknown;
}

interface Entry {
  code: string;
  name: string;
  postalCodes: string[];
  departement: string;
  region: string;
  population: number;
  /** Normalized full name. */
  key: string;
}

interface FuzzyBucket {
  keys: string[];
  /** letterMask of each key. */
  masks: number[];
}

interface Data {
  byCode: Map<string, Entry>;
  /** Normalized name → communes (exact match). */
  byName: Map<string, Entry[]>;
  /** Secondary keys: name without leading article, without a "(…)" qualifier → communes. */
  byAlias: Map<string, Entry[]>;
  byPostalCode: Map<string, Entry[]>;
  /** Parent code → arrondissements (Marseille only). */
  arrondissements: Map<string, Entry[]>;
  /** Fuzzy-search keys (names and aliases), grouped by length. */
  fuzzyByLength: Map<number, FuzzyBucket>;
  /** Fuzzy key → communes. */
  fuzzyKeys: Map<string, Entry[]>;
}

let data: Data | undefined;

// ---------------------------------------------------------------------------------------------------------
// Normalization

const TOKEN_ALIASES = new Map([
  ['st', 'saint'],
  ['ste', 'sainte'],
  ['sts', 'saints'],
  ['stes', 'saintes'],
]);
const ARTICLE = /^(?:le|la|les|l) /;

/** Lower case, no accents, every non-alphanumeric run → one space, "st"/"ste" → "saint"/"sainte". */
function normalizeCommuneName(input: string): string {
  const folded = input
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/œ/g, 'oe')
    .replace(/æ/g, 'ae')
    .replace(/ß/g, 'ss')
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
  if (folded === '') return '';
  return folded
    .split(' ')
    .map((t) => TOKEN_ALIASES.get(t) ?? t)
    .join(' ');
}

function stripArticle(key: string): string {
  return key.replace(ARTICLE, '');
}

// ---------------------------------------------------------------------------------------------------------
// Loading

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Appends to the list under key (callers never add the same value twice under one key). */
function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

function toEntry(raw: RawEntry): Entry | undefined {
  const code = str(raw.code);
  const name = str(raw.nom);
  const departement = str(raw.departement);
  if (code === undefined || name === undefined || departement === undefined) return undefined;
  const postalCodes = Array.isArray(raw.codesPostaux)
    ? [...new Set(raw.codesPostaux.filter((p): p is string => typeof p === 'string'))]
    : [];
  return {
    code,
    name,
    postalCodes,
    departement,
    region: str(raw.region) ?? '',
    population: typeof raw.population === 'number' ? raw.population : 0,
    key: normalizeCommuneName(name),
  };
}

function load(): Data {
  if (data !== undefined) return data;
  const require = createRequire(import.meta.url);
  const file = require.resolve('@etalab/decoupage-administratif/data/communes.json');
  const raws = JSON.parse(readFileSync(file, 'utf8')) as RawEntry[];

  const d: Data = {
    byCode: new Map(),
    byName: new Map(),
    byAlias: new Map(),
    byPostalCode: new Map(),
    arrondissements: new Map(),
    fuzzyByLength: new Map(),
    fuzzyKeys: new Map(),
  };
  for (const raw of raws) {
    if (raw.type === 'arrondissement-municipal') {
      const parent = str(raw.commune);
      const entry = toEntry(raw);
      if (parent === undefined || entry === undefined || !ARRONDISSEMENT_PARENTS.has(parent)) continue;
      d.byCode.set(entry.code, entry);
      push(d.arrondissements, parent, entry);
      continue;
    }
    if (raw.type !== 'commune-actuelle') continue;
    const entry = toEntry(raw);
    if (entry === undefined || entry.key === '') continue;
    d.byCode.set(entry.code, entry);
    push(d.byName, entry.key, entry);
    push(d.fuzzyKeys, entry.key, entry);
    for (const p of entry.postalCodes) push(d.byPostalCode, p, entry);
    const aliases = new Set<string>();
    // "Bors (Canton de Charente-Sud)" is also "Bors".
    const unqualified = entry.name.includes('(')
      ? normalizeCommuneName(entry.name.replace(/\s*\(.*\)\s*$/, ''))
      : entry.key;
    for (const k of [entry.key, unqualified]) {
      aliases.add(k);
      aliases.add(stripArticle(k));
    }
    aliases.delete(entry.key);
    for (const alias of aliases) {
      if (alias === '') continue;
      push(d.byAlias, alias, entry);
      push(d.fuzzyKeys, alias, entry);
    }
  }
  for (const key of d.fuzzyKeys.keys()) {
    let bucket = d.fuzzyByLength.get(key.length);
    if (bucket === undefined) {
      bucket = { keys: [], masks: [] };
      d.fuzzyByLength.set(key.length, bucket);
    }
    bucket.keys.push(key);
    bucket.masks.push(letterMask(key));
  }
  data = d;
  return d;
}

// ---------------------------------------------------------------------------------------------------------
// Results

interface Ctx {
  d: Data;
  area: Set<string>;
}

function toCommune(e: Entry, area: Set<string>): Commune {
  return {
    code: e.code,
    name: e.name,
    postalCodes: [...e.postalCodes],
    departement: e.departement,
    region: e.region,
    inArea: area.has(e.departement),
  };
}

/** In the area first, then by population (largest first), then by name. */
function rank(entries: Entry[], area: Set<string>): Entry[] {
  return [...new Set(entries)].sort(
    (a, b) =>
      Number(area.has(b.departement)) - Number(area.has(a.departement)) ||
      b.population - a.population ||
      a.name.localeCompare(b.name, 'fr'),
  );
}

/** Marseille + a postal code of one of its arrondissements → that arrondissement. */
function refine(e: Entry, postalCode: string | undefined, d: Data): Entry {
  if (postalCode === undefined) return e;
  const arrs = d.arrondissements.get(e.code);
  return arrs?.find((a) => a.postalCodes.includes(postalCode)) ?? e;
}

function result(entries: Entry[], ctx: Ctx, postalCode?: string): CommuneMatch {
  const refined = entries.map((e) => refine(e, postalCode, ctx.d));
  const ranked = rank(refined, ctx.area);
  const [first] = ranked;
  if (first === undefined) return notFound([], ctx);
  if (ranked.length === 1) return { kind: 'found', commune: toCommune(first, ctx.area) };
  return {
    kind: 'ambiguous',
    candidates: ranked.slice(0, MAX_CANDIDATES).map((e) => toCommune(e, ctx.area)),
  };
}

function notFound(suggestions: Entry[], ctx: Ctx): CommuneMatch {
  return {
    kind: 'not_found',
    suggestions: suggestions.slice(0, MAX_SUGGESTIONS).map((e) => toCommune(e, ctx.area)),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Marseille arrondissements: "marseille 5e", "marseille 1er arrondissement", "5eme arrondissement de marseille"

const ORDINAL = '(\\d{1,2})(?: ?(?:er|ere|e|eme|em|ieme|me|d|nd))?';
const ARR_WORD = '(?:arrondissement|arrondissements|arrondt|arrdt|ardt|arr|arrt)';
const ARR_PATTERNS = [
  new RegExp(`^marseille (?:${ARR_WORD} )?${ORDINAL}(?: ${ARR_WORD})?$`),
  new RegExp(`^${ORDINAL}(?: ${ARR_WORD})?(?: de)? marseille$`),
];

function marseilleArrondissement(key: string, d: Data): Entry | undefined {
  for (const re of ARR_PATTERNS) {
    const m = re.exec(key);
    if (m?.[1] === undefined) continue;
    const n = Number(m[1]);
    if (n < 1 || n > 16) return undefined;
    return d.byCode.get(`132${String(n).padStart(2, '0')}`);
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Typos: bounded Damerau-Levenshtein (optimal string alignment)

let rowA = new Int32Array(64);
let rowB = new Int32Array(64);
let rowC = new Int32Array(64);

/**
 * The OSA distance between a and b, or max + 1 as soon as it is known to exceed max. Reuses three rows
 * (no allocation per call: it runs on thousands of candidates per lookup).
 */
function boundedDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const n = b.length;
  if (rowA.length <= n) {
    rowA = new Int32Array(n + 1);
    rowB = new Int32Array(n + 1);
    rowC = new Int32Array(n + 1);
  }
  let prev2 = rowA;
  let prev = rowB;
  let cur = rowC;
  for (let j = 0; j <= n; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    let rowMin = i;
    const ai = a.charCodeAt(i - 1);
    const aPrev = i > 1 ? a.charCodeAt(i - 2) : -1;
    for (let j = 1; j <= n; j++) {
      const bj = b.charCodeAt(j - 1);
      const del = (prev[j] as number) + 1;
      const ins = (cur[j - 1] as number) + 1;
      const sub = (prev[j - 1] as number) + (ai === bj ? 0 : 1);
      let v = Math.min(del, ins, sub);
      if (j > 1 && ai === b.charCodeAt(j - 2) && aPrev === bj) {
        const tr = (prev2[j - 2] as number) + 1;
        if (tr < v) v = tr;
      }
      cur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return max + 1;
    const t = prev2;
    prev2 = prev;
    prev = cur;
    cur = t;
  }
  return prev[n] as number;
}

/** Which letters a–z (and digits, folded on bit 26+) occur in the key: one edit changes at most 2 bits. */
function letterMask(key: string): number {
  let mask = 0;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c >= 97 && c <= 122) mask |= 1 << (c - 97);
    else if (c >= 48 && c <= 57) mask |= 1 << (26 + ((c - 48) % 5));
    else mask |= 1 << 31;
  }
  return mask;
}

function popcount(x: number): number {
  let v = x - ((x >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

function maxTypos(key: string): number {
  return key.length >= 5 ? 2 : 1;
}

function suggest(key: string, ctx: Ctx, restrictTo?: Entry[]): Entry[] {
  if (key.length < 3 || key.length > 60) return [];
  const max = maxTypos(key);
  const scored = new Map<Entry, number>();
  const consider = (candidateKey: string, entries: Entry[]) => {
    const dist = boundedDistance(key, candidateKey, max);
    if (dist > max) return;
    for (const e of entries) {
      const best = scored.get(e);
      if (best === undefined || dist < best) scored.set(e, dist);
    }
  };
  if (restrictTo !== undefined) {
    for (const e of restrictTo) {
      consider(e.key, [e]);
      consider(stripArticle(e.key), [e]);
    }
  } else {
    // Pre-filter: length within max, at most 2 letters per edit present in one key and not the other,
    // And one of the first two letters of the input among the first two of the candidate (a typo on the
    // first letter, its deletion or a transposition still pass).
    const mask = letterMask(key);
    const maxBits = 2 * max;
    const k0 = key.charCodeAt(0);
    const k1 = key.charCodeAt(1);
    for (let len = key.length - max; len <= key.length + max; len++) {
      const bucket = ctx.d.fuzzyByLength.get(len);
      if (bucket === undefined) continue;
      const { keys, masks } = bucket;
      for (let i = 0; i < keys.length; i++) {
        if (popcount(mask ^ (masks[i] as number)) > maxBits) continue;
        const candidateKey = keys[i] as string;
        const c0 = candidateKey.charCodeAt(0);
        const c1 = candidateKey.charCodeAt(1);
        if (k0 !== c0 && k0 !== c1 && k1 !== c0 && k1 !== c1) continue;
        consider(candidateKey, ctx.d.fuzzyKeys.get(candidateKey) ?? []);
      }
    }
  }
  // A commune of the area counts as one typo closer.
  const score = (e: Entry) => (scored.get(e) ?? max) - (ctx.area.has(e.departement) ? 1 : 0);
  return [...scored.keys()].sort(
    (a, b) =>
      score(a) - score(b) ||
      (scored.get(a) ?? 0) - (scored.get(b) ?? 0) ||
      b.population - a.population ||
      a.name.localeCompare(b.name, 'fr'),
  );
}

// ---------------------------------------------------------------------------------------------------------
// Lookup

/** Communes of the area whose name starts with the given words ("aix" → Aix-en-Provence). */
function areaPrefixMatches(key: string, ctx: Ctx): Entry[] {
  if (key.length < 3) return [];
  const prefix = `${key} `;
  return areaEntries(ctx).filter((e) => e.key.startsWith(prefix) || stripArticle(e.key).startsWith(prefix));
}

const areaCache = new Map<string, Entry[]>();

function areaEntries(ctx: Ctx): Entry[] {
  const cacheKey = [...ctx.area].sort().join(',');
  let list = areaCache.get(cacheKey);
  if (list === undefined) {
    list = [];
    for (const entries of ctx.d.byName.values()) {
      for (const e of entries) if (ctx.area.has(e.departement)) list.push(e);
    }
    areaCache.set(cacheKey, list);
  }
  return list;
}

function exactMatches(key: string, d: Data): Entry[] {
  const exact = d.byName.get(key);
  if (exact !== undefined) return exact;
  return d.byAlias.get(key) ?? d.byAlias.get(stripArticle(key)) ?? [];
}

const POSTAL_CODE = /(?:^| )(\d{5})(?= |$)/;
const DEPARTEMENT_HINT = /(?:^(\d{2}|2a|2b|97\d) )|(?: (\d{2}|2a|2b|97\d)$)/;

/**
 * Finds the commune a user means from free text: a name ("aix en provence", "St-Rémy"), a postal code
 * ("13100"), or both ("13100 Aix-en-Provence", "Aix-en-Provence (13100)"). Never throws.
 */
/**
 * Loads the commune list now (about a second of CPU) rather than in the middle of someone's turn,
 * where it would hold up every conversation of the process.
 */
export function preloadCommunes(): void {
  load();
}

export function findCommune(input: string, opts?: { areaDepartements?: string[] }): CommuneMatch {
  const d = load();
  const ctx: Ctx = { d, area: new Set(opts?.areaDepartements ?? DEFAULT_AREA_DEPARTEMENTS) };
  if (typeof input !== 'string') return notFound([], ctx);
  let text = input.slice(0, MAX_INPUT_LENGTH);
  // "Marseille (13)": a département in parentheses, not the 13th arrondissement.
  let departement: string | undefined;
  const parenthesized = /\(\s*(\d{2}|2[ab]|97\d)\s*\)/i.exec(text);
  if (parenthesized?.[1] !== undefined) {
    departement = parenthesized[1].toUpperCase();
    text = text.replace(parenthesized[0], ' ');
  }
  let key = normalizeCommuneName(text);
  if (key === '') return notFound([], ctx);

  const arr = marseilleArrondissement(key, d);
  if (arr !== undefined) return result([arr], ctx);

  // "13 100" → "13100"
  key = key.replace(/(^| )(\d{2}) (\d{3})(?= |$)/, '$1$2$3');
  const postalMatch = POSTAL_CODE.exec(key);
  const postalCode = postalMatch?.[1];
  if (postalMatch !== null)
    key = `${key.slice(0, postalMatch.index)} ${key.slice(postalMatch.index + postalMatch[0].length)}`.trim();
  const deptMatch = key === '' || departement !== undefined ? null : DEPARTEMENT_HINT.exec(key);
  if (deptMatch !== null) {
    departement = (deptMatch[1] ?? deptMatch[2])?.toUpperCase();
    key = `${key.slice(0, deptMatch.index)} ${key.slice(deptMatch.index + deptMatch[0].length)}`.trim();
  }
  key = key.replace(/ +/g, ' ').trim();

  // Only digits: a postal code (or nothing usable).
  if (key === '') {
    if (postalCode === undefined) return notFound([], ctx);
    return result(d.byPostalCode.get(postalCode) ?? [], ctx, postalCode);
  }
  if (!/[a-z]/.test(key)) return notFound([], ctx);

  const arrAgain = marseilleArrondissement(key, d);
  if (arrAgain !== undefined) return result([arrAgain], ctx);

  const exact = exactMatches(key, d);

  if (postalCode !== undefined) {
    const withCode = d.byPostalCode.get(postalCode) ?? [];
    const both = exact.filter((e) => withCode.includes(e));
    if (both.length > 0) return result(both, ctx, postalCode);
    const prefixed = withCode.filter(
      (e) => e.key.startsWith(`${key} `) || stripArticle(e.key).startsWith(`${key} `),
    );
    if (prefixed.length > 0) return result(prefixed, ctx, postalCode);
    if (exact.length === 0) {
      // A typo in the name: prefer the communes of that postal code, then the rest of France.
      const near = suggest(key, ctx, withCode);
      return notFound([...new Set([...near, ...suggest(key, ctx)])], ctx);
    }
    // The name exists but not with this postal code: trust the name.
  }

  let named = exact;
  if (departement !== undefined) {
    const inDept = exact.filter((e) => e.departement === departement);
    if (inDept.length > 0) named = inDept;
  }

  if (named.length > 0) {
    const hinted = postalCode !== undefined || departement !== undefined;
    if (!hinted && !named.some((e) => ctx.area.has(e.departement))) {
      // "Aix" is a commune of Corrèze, but around Marseille it means Aix-en-Provence.
      const local = areaPrefixMatches(key, ctx);
      if (local.length > 0) {
        const candidates = [...rank(local, ctx.area), ...rank(named, ctx.area)].slice(0, MAX_CANDIDATES);
        return { kind: 'ambiguous', candidates: candidates.map((e) => toCommune(e, ctx.area)) };
      }
    }
    return result(named, ctx, postalCode);
  }

  const local = departement === undefined || ctx.area.has(departement) ? areaPrefixMatches(key, ctx) : [];
  if (local.length > 0) return result(local, ctx);

  let suggestions = suggest(key, ctx);
  if (departement !== undefined) {
    const inDept = suggestions.filter((e) => e.departement === departement);
    if (inDept.length > 0) suggestions = inDept;
  }
  return notFound(suggestions, ctx);
}

/** The commune (or Marseille arrondissement) with this INSEE code; inArea against the default area. */
export function communeByCode(code: string): Commune | undefined {
  const d = load();
  const e = typeof code === 'string' ? d.byCode.get(code.trim().toUpperCase()) : undefined;
  return e === undefined ? undefined : toCommune(e, new Set(DEFAULT_AREA_DEPARTEMENTS));
}
