/**
 * `npm run bench -- <name>`: runs one benchmark. Each prints its figures as one JSON object on its
 * last line. Not part of `npm test`.
 */
const benches: Record<string, () => Promise<unknown>> = {
  turns: () => import('./turns.js').then((m) => m.main()),
  recognize: () => import('./recognize.js').then((m) => m.main()),
  matching: () => import('./matching.js').then((m) => m.main()),
  history: () => import('./history.js').then((m) => m.main()),
};

const name = process.argv[2] ?? '';
const run = benches[name];
if (!run) {
  console.error(`usage: npm run bench -- <${Object.keys(benches).join('|')}>`);
  process.exit(2);
}
await run();
process.exit(0);
