import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { communeLocation, distanceKm, GEO_PRECISIONS, type GeoPrecision } from '../../bot/reference/geo.js';

interface RawCommune {
  code: string;
  nom: string;
  type: string;
  departement?: string;
  commune?: string;
}

/** Every commune of the Bouches-du-Rhône, and Marseille's arrondissements, from the official list. */
function bouchesDuRhone(): RawCommune[] {
  const require = createRequire(import.meta.url);
  const all = JSON.parse(
    readFileSync(require.resolve('@etalab/decoupage-administratif/data/communes.json'), 'utf8'),
  ) as RawCommune[];
  return all.filter(
    (c) =>
      c.departement === '13' &&
      (c.type === 'commune-actuelle' || (c.type === 'arrondissement-municipal' && c.commune === '13055')),
  );
}

function at(code: string) {
  const location = communeLocation(code);
  if (location === undefined) throw new Error(`no location for ${code}`);
  return location;
}

describe('commune coordinates', () => {
  it('places every commune of the Bouches-du-Rhône inside the département', () => {
    const communes = bouchesDuRhone();
    expect(communes.length).toBe(119 + 16);
    const byPrecision = Object.fromEntries(GEO_PRECISIONS.map((p) => [p, 0])) as Record<GeoPrecision, number>;
    for (const c of communes) {
      const location = communeLocation(c.code);
      expect(location, `${c.code} ${c.nom}`).toBeDefined();
      if (location === undefined) continue;
      // The département's bounding box (never 0,0, never another region).
      expect(location.lat, c.nom).toBeGreaterThan(43.15);
      expect(location.lat, c.nom).toBeLessThan(43.95);
      expect(location.lon, c.nom).toBeGreaterThan(4.2);
      expect(location.lon, c.nom).toBeLessThan(5.85);
      byPrecision[location.precision]++;
    }
    const fallbacks = communes.length - byPrecision.commune;
    console.info(`Bouches-du-Rhône: ${JSON.stringify(byPrecision)} (${fallbacks} fallbacks)`);
    // About ten small communes (under ~1,000 inhabitants in GeoNames' eyes) need a fallback.
    expect(fallbacks).toBeLessThanOrEqual(15);
    expect(byPrecision.departement).toBe(0);
  });

  it('gives each of Marseille’s 16 arrondissements its own centre', () => {
    const centre = at('13055');
    const points = new Set<string>();
    for (let n = 1; n <= 16; n++) {
      const location = at(`132${String(n).padStart(2, '0')}`);
      expect(location.precision).toBe('commune');
      expect(distanceKm(centre, location)).toBeLessThan(12);
      points.add(`${location.lat},${location.lon}`);
    }
    expect(points.size).toBe(16);
    // The 16th (L'Estaque) is far from the 12th (Saint-Barnabé).
    expect(distanceKm(at('13216'), at('13212'))).toBeGreaterThan(8);
  });

  it('measures distances between known places', () => {
    expect(distanceKm(at('13005'), at('13055'))).toBeGreaterThan(13);
    expect(distanceKm(at('13005'), at('13055'))).toBeLessThan(18);
    expect(distanceKm(at('13001'), at('13055'))).toBeGreaterThan(22);
    expect(distanceKm(at('13001'), at('13055'))).toBeLessThan(30);
    expect(distanceKm(at('13055'), at('13055'))).toBe(0);
    // Paris–Marseille, across France: the haversine is right at that scale too.
    expect(distanceKm(at('75056'), at('13055'))).toBeGreaterThan(640);
    expect(distanceKm(at('75056'), at('13055'))).toBeLessThan(680);
  });

  it('knows a commune nouvelle by its chef-lieu’s former name', () => {
    // Valserhône (01033) is named Bellegarde-sur-Valserine in GeoNames.
    expect(at('01033').precision).toBe('commune');
  });

  it('says nothing rather than (0, 0) for an unknown code', () => {
    expect(communeLocation('99999')).toBeUndefined();
    expect(communeLocation('')).toBeUndefined();
    expect(communeLocation(' 13005 ')).toEqual(communeLocation('13005'));
  });
});
