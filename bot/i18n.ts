import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import i18next, { type i18n, type TFunction } from 'i18next';
import { Lru } from './db/lru.js';

export type { TFunction };
export const LOCALES = ['fr', 'en'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'fr';

export const LOCALES_DIR = fileURLToPath(new URL('../locales/', import.meta.url));

/** Reads locales/<lng>/<namespace>.json for every locale. */
export function loadResources(dir = LOCALES_DIR): Record<string, Record<string, object>> {
  const resources: Record<string, Record<string, object>> = {};
  for (const lng of LOCALES) {
    resources[lng] = {};
    for (const file of readdirSync(join(dir, lng)).filter((f) => f.endsWith('.json'))) {
      resources[lng][file.replace(/\.json$/, '')] = JSON.parse(readFileSync(join(dir, lng, file), 'utf8'));
    }
  }
  return resources;
}

/**
 * One i18next instance for the process, loaded synchronously at start-up. French is the default;
 * a key missing in English falls back to French. Defaults that changed between i18next versions
 * are set explicitly. Values are not HTML-escaped here: each channel escapes when it renders.
 */
export function createI18n(resources = loadResources()): i18n {
  const instance = i18next.createInstance();
  instance.init({
    resources,
    lng: DEFAULT_LOCALE,
    fallbackLng: DEFAULT_LOCALE,
    supportedLngs: [...LOCALES],
    ns: Object.keys(resources[DEFAULT_LOCALE] ?? {}),
    defaultNS: 'common',
    initAsync: false,
    returnNull: false,
    returnEmptyString: false,
    interpolation: { escapeValue: false },
  });
  return instance;
}

export function toLocale(value: string | undefined): Locale {
  const short = value?.slice(0, 2).toLowerCase();
  return LOCALES.find((l) => l === short) ?? DEFAULT_LOCALE;
}

/**
 * `t` remembering its strings: a question's text and buttons are the same for everybody, and
 * i18next resolves, interpolates and post-processes each call again (about 5 % of the app's CPU
 * under the turns benchmark). Calls whose options are all plain values are kept, keyed by the key
 * and the options, in a bounded map; the texts never change while the process runs. Anything else
 * (objects returned, functions or objects in the options) goes to i18next each time.
 */
export function rememberingT(t: TFunction, size = 5000): TFunction {
  const kept = new Lru<string, string>(size);
  const remembering = (key: unknown, options?: unknown): unknown => {
    const id = typeof key === 'string' ? idOf(key, options) : undefined;
    if (id === undefined) return (t as (k: unknown, o?: unknown) => unknown)(key, options);
    const known = kept.get(id);
    if (known !== undefined) return known;
    const value = (t as (k: string, o?: unknown) => unknown)(key as string, options);
    if (typeof value === 'string') kept.set(id, value);
    return value;
  };
  return remembering as unknown as TFunction;
}

/** The cache key of a call, or undefined when it should not be cached. */
function idOf(key: string, options: unknown): string | undefined {
  if (options === undefined || options === null) return key;
  if (typeof options !== 'object') return undefined;
  let id = key;
  for (const [name, value] of Object.entries(options)) {
    if (value === undefined) continue;
    if (name === 'returnObjects' || name === 'returnDetails') return undefined;
    if (value !== null && typeof value === 'object') return undefined;
    if (typeof value === 'function' || typeof value === 'symbol') return undefined;
    id += `\u0001${name}\u0002${typeof value}:${String(value)}`;
  }
  return id;
}
