import { recognizeChoice } from '../bot/engine/recognize.js';
import { createI18n } from '../bot/i18n.js';
import { findCommune } from '../bot/reference/communes.js';
import { options } from '../dialogs/questions.js';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

/** Microseconds per call, median of `runs` timed passes over `inputs`, after a warm-up pass. */
function time(inputs: string[], call: (input: string) => unknown, runs = 7): number {
  for (const input of inputs) call(input);
  const perCall: number[] = [];
  for (let r = 0; r < runs; r++) {
    const started = performance.now();
    for (const input of inputs) call(input);
    perCall.push(((performance.now() - started) * 1000) / inputs.length);
  }
  return Math.round(median(perCall) * 10) / 10;
}

/** `npm run bench -- recognize`: the cost of our own recognition, per call, on this machine. */
export async function main(): Promise<void> {
  const t = createI18n().getFixedT('fr');
  const sectors = options('sectors', t);
  const typed = [
    'numerique',
    'numerik',
    'comerce et santé',
    '2',
    'le 3',
    "je cherche dans l'industrie",
    '😀',
    'x'.repeat(300),
  ];
  const choiceUs = time(typed, (input) => recognizeChoice(input, sectors, { multiple: true }));
  const loadStarted = performance.now();
  findCommune('Aubagne');
  const communeLoadMs = Math.round(performance.now() - loadStarted);
  const places = [
    'Aubagne',
    'Aubgne',
    'Marsielle',
    '13100',
    'aix 13100',
    'saint remy de provance',
    'x'.repeat(10_000),
  ];
  const communeUs = time(places, (input) => findCommune(input));
  console.log(
    `choice against ${sectors.length} sectors: ${choiceUs} µs/call; commune: ${communeUs} µs/call (list loaded once in ${communeLoadMs} ms)`,
  );
  console.log(JSON.stringify({ choice_us: choiceUs, commune_us: communeUs, commune_load_ms: communeLoadMs }));
}
