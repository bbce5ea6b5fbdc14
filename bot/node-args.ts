/**
 * The Node.js options the app runs with: `npm start` (package.json says the same, checked by a test),
 * the tests that start it as a process, and the turns benchmark.
 * - `--max-semi-space-size=64`: a young generation of 64 MB instead of 16. A turn allocates a lot
 *   that dies young; with 16 MB, V8 collected it every ~200 ms under load and promoted ~11 MB each
 *   time to the old generation, which then needed full collections (measured with --trace-gc: 188
 *   young collections, 1.6 s in all, in one 45 s run at 200 users).
 * - `--disable-warning=DEP0111`: a dependency's use of process.binding, not ours to fix.
 */
export const NODE_ARGS = ['--max-semi-space-size=64', '--disable-warning=DEP0111', '--import', 'tsx'];
