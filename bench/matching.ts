/**
 * `npm run bench -- matching` (see shared/benchmarks.md): ranking 10,000 generated mentors for one
 * mentee, and the exact cohort assignment of 1,000 mentees × 1,000 mentors and 10,000 × 2,000,
 * with the `munkres` package on the same 1,000-mentee instance. Each cohort runs in a child
 * process of its own, so that its memory figures are its own. Last line: one JSON object.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { munkres } from 'munkres';
import { type AssignmentProblem, greedyAssignment, solveAssignment } from '../bot/matching/assignment.js';
import { cohortProblem } from '../bot/matching/cohort.js';
import { pairKey } from '../bot/matching/filters.js';
import { indexMentors } from '../bot/matching/mentors.js';
import { penaltiesFromPassed } from '../bot/matching/penalties.js';
import type { MenteeCandidate } from '../bot/matching/profile.js';
import { rank } from '../bot/matching/rank.js';
import { preloadGeo } from '../bot/reference/geo.js';
import { random, syntheticMentees, syntheticMentors } from '../test/matching/synthetic.js';

const RUNS = 3;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

/** The p-quantile (nearest rank) of xs. */
function quantile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)] ?? Number.NaN;
}

const round = (x: number, digits = 0) => Math.round(x * 10 ** digits) / 10 ** digits;
const mb = (bytes: number) => round(bytes / 2 ** 20);
const peakRssMb = () => round(process.resourceUsage().maxRSS / 1024);

function timed<T>(run: () => T): { ms: number; value: T } {
  const started = performance.now();
  const value = run();
  return { ms: performance.now() - started, value };
}

// ---------------------------------------------------------------------------------------------------------
// Ranking

/** 200 mentees ranked one at a time against 10,000 mentors, each with a short history of its own. */
function benchRank() {
  const mentors = syntheticMentors(10_000, 2);
  const built = timed(() => indexMentors(mentors));
  const mentees = syntheticMentees(50 + RUNS * 200, 1);
  const rnd = random(3);
  const contexts = mentees.map((e) => {
    const seen = mentors.filter(() => rnd() < 0.0005);
    return {
      excluded: new Set(seen.map((m) => pairKey(e.id, m.id))),
      penalties: seen.length > 0 ? penaltiesFromPassed(seen.map((m) => m.profile)) : undefined,
    };
  });
  for (let i = 0; i < 50; i++) rank(mentees[i] as MenteeCandidate, built.value, contexts[i]);
  const medians: number[] = [];
  const p99s: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const times: number[] = [];
    for (let i = 50 + r * 200; i < 50 + (r + 1) * 200; i++)
      times.push(timed(() => rank(mentees[i] as MenteeCandidate, built.value, contexts[i])).ms);
    medians.push(quantile(times, 0.5));
    p99s.push(quantile(times, 0.99));
  }
  return {
    rank_index_ms: round(built.ms, 1),
    rank_median_ms: round(median(medians), 2),
    rank_p99_ms: round(median(p99s), 2),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Cohorts (in child processes)

function instance(mentees: number, mentors: number) {
  const me = syntheticMentees(mentees, 11);
  const mo = syntheticMentors(mentors, 12);
  return { mentors: mo, problem: cohortProblem(me, indexMentors(mo)) };
}

function places(problem: AssignmentProblem): number {
  let total = 0;
  for (let j = 0; j < problem.capacities.length; j++) total += Math.max(0, problem.capacities[j] ?? 0);
  return total;
}

/**
 * The same problem for `munkres`: one row per mentee, one column per place (each mentor's capacity
 * expanded), plus one "no mentor" column per mentee, since our optimum may leave mentees without
 * one; forbidden pairs at a prohibitive cost. Costs use the solver's own order (total score, then
 * number matched) so that both optimize the same thing.
 */
function munkresRun(problem: AssignmentProblem) {
  const m = problem.mentees;
  const columns: number[] = [];
  for (let j = 0; j < problem.capacities.length; j++)
    for (let k = 0; k < (problem.capacities[j] ?? 0); k++) columns.push(j);
  const weight = (s: number) => s * (m + 1) + 1;
  const top = weight(1000);
  const FORBIDDEN = 1e12;
  const row = new Int32Array(problem.capacities.length);
  const scores: Int32Array[] = [];
  const matrix = Array.from({ length: m }, (_, i) => {
    problem.scoreRow(i, row);
    scores.push(row.slice());
    const costs = new Float64Array(columns.length + m).fill(top);
    columns.forEach((j, c) => {
      const s = row[j] as number;
      costs[c] = s < 0 ? FORBIDDEN : top - weight(s);
    });
    return costs;
  });
  let total = 0;
  let matched = 0;
  for (const [i, c] of munkres(matrix)) {
    const j = columns[c];
    const s = j === undefined ? -1 : (scores[i]?.[j] as number);
    if (s >= 0) {
      total += s;
      matched++;
    }
  }
  return { total, matched };
}

function cohort1k() {
  const { problem } = instance(1000, 1000);
  const ours: number[] = [];
  const theirs: number[] = [];
  let best = solveAssignment(problem);
  let reference = munkresRun(problem);
  // Warm-up above; then alternate, so that both see the same machine load.
  for (let r = 0; r < RUNS; r++) {
    const a = timed(() => solveAssignment(problem));
    ours.push(a.ms);
    best = a.value;
    const b = timed(() => munkresRun(problem));
    theirs.push(b.ms);
    reference = b.value;
  }
  const greedy = greedyAssignment(problem);
  return {
    cohort_1k_ms: round(median(ours)),
    cohort_1k_total: best.total,
    cohort_1k_matched: best.matched,
    cohort_1k_rounds: best.stats.rounds,
    cohort_1k_places: places(problem),
    greedy_1k_total: greedy.total,
    greedy_1k_matched: greedy.matched,
    munkres_1k_ms: round(median(theirs)),
    munkres_1k_total: reference.total,
    munkres_1k_matched: reference.matched,
    cohort_1k_peak_rss_mb: peakRssMb(),
  };
}

function cohort10k() {
  const { problem } = instance(10_000, 2000);
  solveAssignment(problem); // warm-up (JIT)
  const runs = Array.from({ length: RUNS }, () => timed(() => solveAssignment(problem)));
  const rss = process.memoryUsage().rss;
  const best = (runs.at(-1) as (typeof runs)[number]).value;
  const greedy = timed(() => greedyAssignment(problem));
  return {
    cohort_10k_ms: round(median(runs.map((r) => r.ms))),
    cohort_10k_total: best.total,
    cohort_10k_matched: best.matched,
    cohort_10k_rounds: best.stats.rounds,
    cohort_10k_edges: best.stats.edges,
    cohort_10k_places: places(problem),
    greedy_10k_ms: round(greedy.ms),
    greedy_10k_total: greedy.value.total,
    greedy_10k_matched: greedy.value.matched,
    cohort_10k_rss_mb: mb(rss),
    cohort_10k_peak_rss_mb: peakRssMb(),
  };
}

const CHILDREN: Record<string, () => Record<string, unknown>> = { cohort1k, cohort10k };

/** Runs one cohort in a fresh process and returns its figures. */
function inChild(name: string): Record<string, unknown> {
  const child = spawnSync(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(import.meta.url), 'child', name],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 20 },
  );
  const last = child.stdout.trim().split('\n').at(-1) ?? '';
  if (child.status !== 0 || !last.startsWith('{'))
    throw new Error(`bench child ${name} failed: ${child.stdout}`);
  return JSON.parse(last) as Record<string, unknown>;
}

export async function main(): Promise<void> {
  const geo = timed(() => preloadGeo());
  const rss = process.memoryUsage().rss;
  console.log(`commune coordinates loaded in ${round(geo.ms)} ms (RSS ${mb(rss)} MB)`);
  const ranking = benchRank();
  console.log(`rank 10,000 mentors: median ${ranking.rank_median_ms} ms, p99 ${ranking.rank_p99_ms} ms`);
  const one = inChild('cohort1k');
  console.log(
    `cohort 1,000 × 1,000: ${one.cohort_1k_ms} ms, total ${one.cohort_1k_total} (${one.cohort_1k_matched} matched; greedy ${one.greedy_1k_total}, ${one.greedy_1k_matched}); munkres ${one.munkres_1k_ms} ms, total ${one.munkres_1k_total}`,
  );
  const ten = inChild('cohort10k');
  console.log(
    `cohort 10,000 × 2,000: ${ten.cohort_10k_ms} ms, total ${ten.cohort_10k_total} (${ten.cohort_10k_matched} matched; greedy ${ten.greedy_10k_total}, ${ten.greedy_10k_matched}), RSS ${ten.cohort_10k_rss_mb} MB`,
  );
  const sameOptimum =
    one.cohort_1k_total === one.munkres_1k_total && one.cohort_1k_matched === one.munkres_1k_matched;
  console.log(
    JSON.stringify({
      geo_load_ms: round(geo.ms),
      ...ranking,
      ...one,
      munkres_ratio: round((one.munkres_1k_ms as number) / (one.cohort_1k_ms as number), 2),
      same_optimum: sameOptimum,
      ...ten,
    }),
  );
}

if (process.argv[2] === 'child' && process.argv[1] === fileURLToPath(import.meta.url)) {
  const run = CHILDREN[process.argv[3] ?? ''];
  if (run === undefined) throw new Error(`unknown bench child ${process.argv[3]}`);
  preloadGeo();
  console.log(JSON.stringify(run()));
}
