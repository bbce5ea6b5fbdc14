import { afterEach, describe, expect, it } from 'vitest';
import { createI18n } from '../../bot/i18n.js';
import { isProgramme, listValues, setProgrammes } from '../../bot/reference/lists.js';
import { labelOf, options } from '../../dialogs/questions.js';

afterEach(() => setProgrammes(undefined));

describe('the programme list', () => {
  it('is the default list, labelled in the locales, until configured', () => {
    const t = createI18n().getFixedT('fr');
    expect(isProgramme('reseau_entreprendre')).toBe(true);
    expect(labelOf('programmes', 'reseau_entreprendre', t)).toBe('Réseau Entreprendre Provence');
  });

  it('is replaced by the configured one: its codes, its labels, its deep links', () => {
    setProgrammes([{ code: 'medef_13', label: 'MEDEF Bouches-du-Rhône' }]);
    const t = createI18n().getFixedT('fr');
    expect(listValues('programmes')).toEqual(['medef_13']);
    expect(isProgramme('medef_13')).toBe(true);
    expect(isProgramme('reseau_entreprendre')).toBe(false);
    expect(options('programmes', t).map((o) => o.label)).toEqual(['MEDEF Bouches-du-Rhône']);
  });
});
