import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import i18next, { type i18n, type TFunction } from 'i18next';

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
