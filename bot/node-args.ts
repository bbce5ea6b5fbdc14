/**
 * The Node.js options the app runs with: `npm start` (package.json says the same, checked by a test),
 * the tests that start it as a process, and the turns benchmark.
 * `--disable-warning=DEP0111`: a dependency's use of process.binding, not ours to fix.
 */
export const NODE_ARGS = ['--disable-warning=DEP0111', '--import', 'tsx'];
