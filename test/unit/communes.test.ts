import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { type Commune, type CommuneMatch, communeByCode, findCommune } from '../../bot/reference/communes.js';

interface RawCommune {
  code: string;
  nom: string;
  type: string;
  departement: string;
  codesPostaux?: string[];
}

const rawCommunes = JSON.parse(
  readFileSync(
    createRequire(import.meta.url).resolve('@etalab/decoupage-administratif/data/communes.json'),
    'utf8',
  ),
) as RawCommune[];

/** The INSEE codes a match points at: the found commune, or the candidates / suggestions in order. */
function codes(match: CommuneMatch): string[] {
  switch (match.kind) {
    case 'found':
      return [match.commune.code];
    case 'ambiguous':
      return match.candidates.map((c) => c.code);
    case 'not_found':
      return match.suggestions.map((c) => c.code);
  }
}

function found(input: string, opts?: { areaDepartements?: string[] }): Commune {
  const match = findCommune(input, opts);
  if (match.kind !== 'found') throw new Error(`${input}: expected found, got ${JSON.stringify(match)}`);
  return match.commune;
}

describe('findCommune: exact names', () => {
  it.each([
    ['Marseille', '13055'],
    ['Aubagne', '13005'],
    ['Aix-en-Provence', '13001'],
    ['aix en provence', '13001'],
    ['  AIX EN PROVENCE  ', '13001'],
    ['aix_en.provence', '13001'],
    ['La Ciotat', '13028'],
    ['la-ciotat', '13028'],
    ['Ciotat', '13028'],
    ['Le Tholonet', '13109'],
    ["Berre-l'Étang", '13014'],
    ['Berre l etang', '13014'],
    ['Berre l’Étang', '13014'],
    ['Bouc Bel Air', '13015'],
    ['Lançon-Provence', '13051'],
    ['Port-Saint-Louis-du-Rhône', '13078'],
    ["L'Abergement-Clémenciat", '01001'],
  ])('%s → %s', (input, code) => {
    expect(found(input).code).toBe(code);
  });

  it('returns the full commune record', () => {
    expect(found('Aubagne')).toEqual({
      code: '13005',
      name: 'Aubagne',
      postalCodes: ['13400'],
      departement: '13',
      region: '93',
      inArea: true,
    });
  });
});

describe('findCommune: accents and case', () => {
  it.each([
    ['gemenos', '13042'],
    ['GÉMENOS', '13042'],
    ['Gémenos', '13042'],
    ['eguilles', '13032'],
    ['Éguilles', '13032'],
    ['senas', '13105'],
    ['pelissanne', '13069'],
    ['Mollegès', '13064'],
    ['ensues la redonne', '13033'],
    ['Gémenos', '13042'], // decomposed é
  ])('%s → %s', (input, code) => {
    expect(found(input).code).toBe(code);
  });
});

describe('findCommune: St / Ste / Saint / Sainte', () => {
  it.each([
    ['St-Rémy-de-Provence', '13100'],
    ['St Remy de Provence', '13100'],
    ['st. remy de provence', '13100'],
    ['Saint Rémy de Provence', '13100'],
    ['Saint-Rémy-de-Provence', '13100'],
    ['St Chamas', '13092'],
    ['Stes Maries de la Mer', '13096'],
    ['Saintes-Maries-de-la-Mer', '13096'],
    ['Le Puy Ste Réparade', '13080'],
    ['St Martin de Crau', '13097'],
  ])('%s → %s', (input, code) => {
    expect(found(input).code).toBe(code);
  });
});

describe('findCommune: postal codes', () => {
  it.each([
    ['13400', '13005'],
    ['13480', '13019'], // Cabriès only (Calas is a hamlet of Cabriès)
    ['13080', '13001'], // Luynes, a part of Aix-en-Provence
    ['13300', '13103'],
    [' 13 400 ', '13005'],
    ['69003', '69123'],
  ])('%s → found %s', (input, code) => {
    expect(found(input).code).toBe(code);
  });

  it.each([
    ['13100', ['13001', '13109', '13095', '13012', '13090']], // Aix, Le Tholonet, Saint-Marc-J., Beaurecueil…
    ['13600', ['13028', '13023']], // La Ciotat, Ceyreste
    ['13520', ['13058', '13068', '13011']], // Maussane, Paradou, Les Baux
    ['13150', ['13108', '13017', '13061']], // Tarascon, Boulbon, Saint-Pierre-de-Mézoargues
  ])('%s → ambiguous, by population', (input, expected) => {
    const match = findCommune(input);
    expect(match.kind).toBe('ambiguous');
    expect(codes(match)).toEqual(expected);
  });

  it.each(['99999', '00000', '13999', '13617'])('%s → not_found without suggestions', (input) => {
    expect(findCommune(input)).toEqual({ kind: 'not_found', suggestions: [] });
  });
});

describe('findCommune: name and postal code', () => {
  it.each([
    ['13100 Aix-en-Provence', '13001'],
    ['Aix-en-Provence (13100)', '13001'],
    ['Aix-en-Provence, 13100', '13001'],
    ['13100 Le Tholonet', '13109'],
    ['Tholonet 13100', '13109'],
    ['aix 13100', '13001'], // "Aix" alone is a commune of Corrèze: the postal code decides
    ['13600 La Ciotat', '13028'],
    ['13600 Ceyreste', '13023'],
    ['Vitrolles 13127', '13117'],
    ['Vitrolles (05)', '05184'],
    ['Charleval (13)', '13024'],
    ['Charleval 27380', '27151'],
    ['Aubagne 13100', '13005'], // the name exists, the postal code is wrong: trust the name
    ['Marseille (13)', '13055'], // a département, not the 13th arrondissement
  ])('%s → %s', (input, code) => {
    expect(found(input).code).toBe(code);
  });

  it('a typo in the name with a postal code suggests the communes of that postal code', () => {
    const match = findCommune('13100 Tholonnet');
    expect(match.kind).toBe('not_found');
    expect(codes(match)[0]).toBe('13109');
  });
});

describe('findCommune: Marseille and its arrondissements', () => {
  it('plain Marseille is the commune', () => {
    const marseille = found('Marseille');
    expect(marseille.code).toBe('13055');
    expect(marseille.inArea).toBe(true);
    expect(marseille.postalCodes).toHaveLength(16);
  });

  it.each(Array.from({ length: 16 }, (_, i) => i + 1))('arrondissement %i', (n) => {
    const postalCode = `130${String(n).padStart(2, '0')}`;
    const code = `132${String(n).padStart(2, '0')}`;
    const suffix = n === 1 ? 'er' : 'e';
    for (const input of [
      postalCode,
      `Marseille ${postalCode}`,
      `${postalCode} Marseille`,
      `Marseille (${postalCode})`,
      `Marseille ${n}${suffix}`,
      `marseille ${n}eme`,
      `Marseille ${n}ème arrondissement`,
      `${n}${suffix} arrondissement de Marseille`,
      `Marseille ${n}${suffix} Arrondissement`,
    ]) {
      const commune = found(input);
      expect(commune.code, input).toBe(code);
      expect(commune.inArea, input).toBe(true);
      expect(commune.departement, input).toBe('13');
      expect(commune.postalCodes, input).toEqual([postalCode]);
    }
  });

  it('uses the names of the data', () => {
    expect(found('Marseille 5e').name).toBe('Marseille 5e Arrondissement');
    expect(found('13001').name).toBe('Marseille 1er Arrondissement');
  });

  it.each(['Marseille 17e', 'Marseille 0', '17e arrondissement de Marseille'])(
    '%s is not an arrondissement',
    (input) => {
      expect(findCommune(input).kind).not.toBe('found');
    },
  );
});

describe('findCommune: outside the area', () => {
  it.each([
    ['Lyon', '69123', '69'],
    ['Paris', '75056', '75'],
    ['Bordeaux', '33063', '33'],
  ])('%s → found, not in the area', (input, code, departement) => {
    const commune = found(input);
    expect(commune).toMatchObject({ code, departement, inArea: false });
  });

  it('the area is a parameter', () => {
    expect(found('Lyon', { areaDepartements: ['69'] }).inArea).toBe(true);
    expect(found('Aubagne', { areaDepartements: ['69'] }).inArea).toBe(false);
    expect(found('Aubagne', { areaDepartements: ['13', '84'] }).inArea).toBe(true);
  });

  it('a name of several départements is ambiguous, the area first', () => {
    const match = findCommune('Charleval');
    expect(match.kind).toBe('ambiguous');
    expect(codes(match)).toEqual(['13024', '27151']);

    const moved = findCommune('Charleval', { areaDepartements: ['27'] });
    expect(codes(moved)).toEqual(['27151', '13024']);
  });

  it('Saint-Martin: at most 5 candidates, the area first, then by population', () => {
    const match = findCommune('Saint-Martin');
    expect(match.kind).toBe('ambiguous');
    if (match.kind !== 'ambiguous') return;
    expect(match.candidates.length).toBeLessThanOrEqual(5);
    expect(match.candidates[0]?.code).toBe('13097'); // Saint-Martin-de-Crau, in the area
    expect(match.candidates.slice(1).every((c) => c.name === 'Saint-Martin')).toBe(true);
    expect(match.candidates[1]?.code).toBe('97801'); // the most populated Saint-Martin
  });

  it('a short name of the area wins over an exact namesake elsewhere', () => {
    expect(codes(findCommune('Aix'))).toEqual(['13001', '19002']);
    expect(codes(findCommune('Salon'))[0]).toBe('13103');
    expect(codes(findCommune('Fos'))[0]).toBe('13039');
  });
});

describe('findCommune: typos', () => {
  it.each([
    ['Aubgne', '13005'],
    ['Aubagen', '13005'],
    ['Aubbagne', '13005'],
    ['ubagne', '13005'],
    ['Marsielle', '13055'],
    ['Marseile', '13055'],
    ['Martigue', '13056'],
    ['Istre', '13047'],
    ['Gardane', '13041'],
    ['Vitrole', '13117'],
    ['Salon de Provance', '13103'],
    ['saint remy de provance', '13100'],
  ])('%s → not_found, suggests %s first', (input, code) => {
    const match = findCommune(input);
    expect(match.kind).toBe('not_found');
    expect(codes(match)[0]).toBe(code);
    expect(codes(match).length).toBeLessThanOrEqual(3);
  });

  it('never suggests beyond the distance bound', () => {
    expect(findCommune('Aubxxxx')).toEqual({ kind: 'not_found', suggestions: [] });
    expect(findCommune('Zzzzzzzzzz')).toEqual({ kind: 'not_found', suggestions: [] });
  });
});

describe('findCommune: junk', () => {
  it.each([
    [''],
    ['   '],
    ['🙂'],
    ['🏠🏠🏠'],
    ['?!'],
    ['13'],
    ['1234'],
    ['123456'],
    ['constructor'],
    ['toString'],
    ['москва'],
    ['x'.repeat(10_000)],
    ['Aubagne'.repeat(2_000)],
  ])('%# → not_found, no suggestions', (input) => {
    expect(findCommune(input)).toEqual({ kind: 'not_found', suggestions: [] });
  });

  it('object keys are not names', () => {
    for (const input of ['__proto__', 'hasOwnProperty', 'prototype'])
      expect(findCommune(input).kind).toBe('not_found');
  });

  it('never throws on values that are not strings', () => {
    expect(findCommune(undefined as unknown as string).kind).toBe('not_found');
    expect(findCommune(42 as unknown as string).kind).toBe('not_found');
  });

  it('answers every kind of input, junk included (speed: npm run bench -- recognize)', () => {
    const inputs = ['Aubgne', 'Marsielle', 'lyonn', 'saint remy de provance', '13100', 'x'.repeat(10_000)];
    for (const input of inputs)
      expect(['found', 'ambiguous', 'not_found']).toContain(findCommune(input).kind);
  });
});

describe('communeByCode', () => {
  it('finds communes and Marseille arrondissements', () => {
    expect(communeByCode('13055')?.name).toBe('Marseille');
    expect(communeByCode('13205')).toMatchObject({ name: 'Marseille 5e Arrondissement', inArea: true });
    expect(communeByCode('69123')).toMatchObject({ name: 'Lyon', inArea: false });
    expect(communeByCode('2A004')?.name).toBe('Ajaccio');
  });

  it('returns undefined for unknown codes', () => {
    expect(communeByCode('99999')).toBeUndefined();
    expect(communeByCode('')).toBeUndefined();
    expect(communeByCode('13001 ')?.name).toBe('Aix-en-Provence');
  });

  it('returns copies: mutating a result does not change the data', () => {
    const first = communeByCode('13005');
    first?.postalCodes.push('00000');
    expect(communeByCode('13005')?.postalCodes).toEqual(['13400']);
  });
});

describe('every commune of the Bouches-du-Rhône', () => {
  const communes13 = rawCommunes.filter((c) => c.type === 'commune-actuelle' && c.departement === '13');

  it('has the expected number of communes', () => {
    expect(communes13.length).toBe(119);
  });

  it('is found by its name and by each of its postal codes', () => {
    const contains = (match: CommuneMatch, code: string) =>
      match.kind === 'found'
        ? match.commune.code === code
        : match.kind === 'ambiguous' && codes(match).includes(code);
    for (const commune of communes13) {
      const byName = findCommune(commune.nom);
      expect(contains(byName, commune.code), `${commune.nom} → ${JSON.stringify(byName)}`).toBe(true);
      if (byName.kind === 'found') expect(byName.commune.inArea).toBe(true);
      for (const postalCode of commune.codesPostaux ?? []) {
        const byCode = findCommune(postalCode);
        // Marseille's postal codes resolve to its arrondissements.
        const expected = commune.code === '13055' ? `132${postalCode.slice(3)}` : commune.code;
        expect(contains(byCode, expected), `${postalCode} → ${JSON.stringify(byCode)}`).toBe(true);
        const both = findCommune(`${postalCode} ${commune.nom}`);
        expect(both.kind === 'found' && both.commune.code === expected, `${postalCode} ${commune.nom}`).toBe(
          true,
        );
      }
    }
  });
});
