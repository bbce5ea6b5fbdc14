import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createI18n, LOCALES, loadResources, rememberingT, type TFunction } from '../../bot/i18n.js';

const PLURAL = /_(zero|one|two|few|many|other)$/;

function flatten(obj: object, prefix = ''): string[] {
  return Object.entries(obj).flatMap(([k, v]) =>
    v !== null && typeof v === 'object' ? flatten(v, `${prefix}${k}.`) : [`${prefix}${k}`],
  );
}

function keysOf(lng: string): Set<string> {
  const res = loadResources()[lng] ?? {};
  return new Set(Object.entries(res).flatMap(([ns, tree]) => flatten(tree).map((k) => `${ns}:${k}`)));
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sourceFiles(p);
    return /\.ts$/.test(name) ? [p] : [];
  });
}

/** Every literal key passed to t('ns:key') or tk('ns:key') in the code. */
function keysUsedInCode(): Array<{ key: string; file: string }> {
  const files = ['bot', 'dialogs', 'channels'].flatMap((d) => sourceFiles(d));
  const re = /\b(?:t|tk)\(\s*['"`]([a-z][\w-]*:[\w.]+)['"`]/g;
  return files.flatMap((file) =>
    [...readFileSync(file, 'utf8').matchAll(re)].map((m) => ({ key: m[1] ?? '', file })),
  );
}

describe('locales', () => {
  const fr = keysOf('fr');
  const en = keysOf('en');
  const base = (keys: Set<string>) => new Set([...keys].map((k) => k.replace(PLURAL, '')));

  it('has the same keys in French and English (plural forms aside)', () => {
    const frBase = base(fr);
    const enBase = base(en);
    expect([...frBase].filter((k) => !enBase.has(k))).toEqual([]);
    expect([...enBase].filter((k) => !frBase.has(k))).toEqual([]);
  });

  it('gives every French plural its _one, _many and _other forms', () => {
    const plurals = [...fr].filter((k) => PLURAL.test(k)).map((k) => k.replace(PLURAL, ''));
    for (const key of new Set(plurals)) {
      for (const form of ['one', 'many', 'other'])
        expect(fr.has(`${key}_${form}`), `${key}_${form}`).toBe(true);
    }
  });

  it('defines every key the code uses, in every locale', () => {
    const used = keysUsedInCode();
    expect(used.length).toBeGreaterThan(0);
    const missing = used.flatMap(({ key, file }) =>
      LOCALES.filter((l) => !base(keysOf(l)).has(key)).map((l) => `${l} ${key} (${file})`),
    );
    expect(missing).toEqual([]);
  });

  it.each(LOCALES.flatMap((lng) => ['onboarding:welcome', 'mentor:welcome'].map((key) => [lng, key])))(
    'says what Tandem is in two short sentences (%s, %s)',
    (lng, key) => {
      const t = createI18n().getFixedT(lng);
      const sentences = t(key)
        .split(/(?<=[.!?])\s+/)
        .filter(Boolean);
      expect(sentences).toHaveLength(2);
      for (const sentence of sentences) expect(sentence.length).toBeLessThanOrEqual(140);
    },
  );

  it('translates with French by default, English on request, and French plurals', () => {
    const i18n = createI18n();
    expect(i18n.t('common:error.technical')).toMatch(/^Un souci technique/);
    expect(i18n.t('common:error.technical', { lng: 'en' })).toMatch(/^A technical problem/);
    expect(i18n.t('common:ask.too_long', { count: 1, max: 5 })).toMatch(/^Votre réponse fait 1 caractère,/);
    expect(i18n.t('common:ask.too_long', { count: 3, max: 5 })).toMatch(/3 caractères,/);
    expect(i18n.t('common:ask.too_long', { count: 1_000_000, max: 5 })).toMatch(/1000000 caractères,/);
  });
});

describe('rememberingT', () => {
  const i18n = createI18n();
  const plain = i18n.getFixedT('fr');

  it('answers exactly as i18next, for every key, with and without interpolation', () => {
    const t = rememberingT(plain);
    const keys = [...keysOf('fr')].map((k) => k.replace(PLURAL, ''));
    for (const key of keys) {
      for (const options of [
        undefined,
        { count: 1, max: 500 },
        { count: 3 },
        { firstName: 'Léa', count: 1 },
      ]) {
        expect(t(key, options), key).toEqual(plain(key, options));
        expect(t(key, options), key).toEqual(plain(key, options)); // the second answer is the kept one
      }
    }
  });

  it('keeps a text once per key and options, and asks i18next again for others', () => {
    let calls = 0;
    const counted = ((...args: unknown[]) => {
      calls++;
      return (plain as unknown as (...a: unknown[]) => unknown)(...args);
    }) as unknown as TFunction;
    const t = rememberingT(counted);
    t('common:ask.empty');
    t('common:ask.empty');
    t('common:ask.empty', { max: undefined });
    expect(calls).toBe(1);
    // Counts are kept, one text per count.
    expect(t('slack:home.capacity_value', { count: 1 })).toBe('1 personne à la fois');
    expect(t('slack:home.capacity_value', { count: 1 })).toBe('1 personne à la fois');
    expect(t('slack:home.capacity_value', { count: 2 })).toBe('2 personnes à la fois');
    expect(calls).toBe(3);
    // Text values (names, e-mail addresses) are never kept: personal data stays out of the cache.
    expect(t('common:link.linked_named', { firstName: 'Léa' })).toContain('Léa');
    expect(t('common:link.linked_named', { firstName: 'Léa' })).toContain('Léa');
    expect(calls).toBe(5);
    // Nor objects returned (the caller may change them), nor a call with a default value.
    expect(typeof t('common:ask', { returnObjects: true })).toBe('object');
    expect(typeof t('common:ask', { returnObjects: true })).toBe('object');
    (t as unknown as (...a: unknown[]) => unknown)('common:ask.empty', 'défaut', {});
    expect(calls).toBe(8);
  });
});
