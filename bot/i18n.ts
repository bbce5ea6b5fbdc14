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
 * `t` remembering its texts: a question's text and buttons are the same for everybody, and i18next
 * resolves, interpolates and post-processes each call again (about 5 % of the app's CPU under the
 * turns benchmark). Kept: calls with a key and no options, or options of numbers and booleans only
 * (a count), in a bounded map; the texts never change while the process runs. Anything with a text
 * value (a first name, an e-mail address: nothing personal is kept in memory), an object (arrays,
 * objects returned) or a third argument goes to i18next each time.
 */
export function rememberingT(t: TFunction, size = 5000): TFunction {
  const kept = new Lru<string, string>(size);
  const call = t as unknown as (...args: unknown[]) => unknown;
  const remembering = (...args: unknown[]): unknown => {
    const [key, options] = args;
    const id = args.length <= 2 && typeof key === 'string' ? idOf(key, options) : undefined;
    if (id === undefined) return call(...args);
    const known = kept.get(id);
    if (known !== undefined) return known;
    const value = call(key, options);
    if (typeof value === 'string') kept.set(id, value);
    return value;
  };
  return remembering as unknown as TFunction;
}

/** The cache key of a call, or undefined when it is not to be kept. */
function idOf(key: string, options: unknown): string | undefined {
  if (options !== undefined && (options === null || typeof options !== 'object')) return undefined;
  const values: Array<[string, number | boolean]> = [];
  for (const [name, value] of Object.entries(options ?? {})) {
    if (value === undefined) continue;
    if (typeof value !== 'number' && typeof value !== 'boolean') return undefined;
    values.push([name, value]);
  }
  return JSON.stringify([key, values]);
}
