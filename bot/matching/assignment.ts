/**
 * Exact cohort assignment: each mentee gets at most one mentor, each mentor at most their number
 * of places, only on allowed pairs (score ≥ 0), maximizing the total score; among assignments
 * with that total, the one matching the most mentees. (Technically: max-weight bipartite
 * b-matching with edge weight `score × (M + 1) + 1` for M mentees, which orders assignments by
 * total score first and number matched second, both exactly.)
 *
 * How: min-cost flow by successive shortest paths with potentials (Dijkstra; flow.ts), one
 * mentee at a time, on a sparse candidate graph (each mentee's best mentors and each mentor's best
 * mentees). The LP duals the potentials give then certify the result on ALL pairs: a pair outside
 * the graph that could improve it breaks a dual constraint, is added, and its mentee routed again.
 * So the result is optimal over every allowed pair while the flow only sees a few dozen per mentee.
 */
import { Flow, type Graph } from './flow.js';

/** An instance: M mentees, N mentors with capacities, and a score for each pair. */
export interface AssignmentProblem {
  mentees: number;
  /** Places left per mentor (≤ 0: none). */
  capacities: ArrayLike<number>;
  /**
   * Writes the score of (mentee i, mentor j) into out[j] for every j: an integer ≥ 0, or < 0 when
   * the pair is not allowed. Row by row keeps memory small: the solver asks for each row once,
   * then once per pricing pass (two or three) unless it could keep them all (see SolveOptions).
   */
  scoreRow(i: number, out: Int32Array): void;
}

export interface Assignment {
  /** mentorOf[i]: the mentor of mentee i, or -1. */
  mentorOf: Int32Array;
  /** scoreOf[i]: the score of mentee i's pair, or -1. */
  scoreOf: Int32Array;
  /** Sum of the scores of the assigned pairs. */
  total: number;
  matched: number;
}

export interface SolveStats {
  /** Passes over all pairs to check the result (1 when the first graph already held the optimum). */
  rounds: number;
  /** Candidate pairs in the last graph. */
  edges: number;
}

export interface SolveOptions {
  /** A mentee's best mentors kept as candidates (default 24). */
  perMentee?: number;
  /** A mentor's best mentees kept, per place (default 4, at least 8 in all; 0: none). */
  perMentorPlace?: number;
  /** Scores kept between passes when all of them fit (default 4,000,000: 16 MB); 0: none. */
  rowCacheEntries?: number;
}

// ---------------------------------------------------------------------------------------------------------
// Candidate graph

/**
 * Bounded min-heaps of (score, item), one per owner, side by side in flat arrays: each keeps the
 * `limits[h]` best items offered to it. `worst(h)` lets a caller skip most offers without a call.
 */
class TopHeaps {
  readonly scores: Int32Array;
  readonly items: Int32Array;
  readonly sizes: Int32Array;
  readonly stride: number;
  constructor(readonly limits: Int32Array) {
    this.stride = limits.reduce((a, b) => Math.max(a, b), 0);
    this.scores = new Int32Array(limits.length * this.stride);
    this.items = new Int32Array(limits.length * this.stride);
    this.sizes = new Int32Array(limits.length);
  }
  /** Whether an item of this score would be kept by heap h. */
  wants(h: number, score: number): boolean {
    const n = this.sizes[h] as number;
    return n < (this.limits[h] as number) || (n > 0 && score > (this.scores[h * this.stride] as number));
  }
  offer(h: number, score: number, item: number): void {
    const base = h * this.stride;
    const n = this.sizes[h] as number;
    if (n < (this.limits[h] as number)) {
      this.sizes[h] = n + 1;
      this.siftUp(base, n, score, item);
    } else if (n > 0 && score > (this.scores[base] as number)) {
      this.siftDown(base, n, score, item);
    }
  }
  private siftUp(base: number, at: number, score: number, item: number): void {
    let i = at;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((this.scores[base + parent] as number) <= score) break;
      this.scores[base + i] = this.scores[base + parent] as number;
      this.items[base + i] = this.items[base + parent] as number;
      i = parent;
    }
    this.scores[base + i] = score;
    this.items[base + i] = item;
  }
  private siftDown(base: number, n: number, score: number, item: number): void {
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && (this.scores[base + child + 1] as number) < (this.scores[base + child] as number))
        child++;
      if ((this.scores[base + child] as number) >= score) break;
      this.scores[base + i] = this.scores[base + child] as number;
      this.items[base + i] = this.items[base + child] as number;
      i = child;
    }
    this.scores[base + i] = score;
    this.items[base + i] = item;
  }
}

/** Pairs per mentee, as lists of [mentor, score], turned into a Graph. */
function toGraph(lists: Array<number[]>): Graph {
  const start = new Int32Array(lists.length + 1);
  lists.forEach((l, i) => {
    start[i + 1] = (start[i] as number) + l.length / 2;
  });
  const total = start[lists.length] as number;
  const graph: Graph = { start, to: new Int32Array(total), score: new Int32Array(total) };
  lists.forEach((l, i) => {
    let e = start[i] as number;
    for (let k = 0; k < l.length; k += 2, e++) {
      graph.to[e] = l[k] as number;
      graph.score[e] = l[k + 1] as number;
    }
  });
  return graph;
}

type RowReader = (i: number, out: Int32Array) => void;

/** Reads rows of scores, keeping them for the pricing passes when all fit in `budget` entries. */
function rowReader(p: AssignmentProblem, budget: number): RowReader {
  const n = p.capacities.length;
  if (p.mentees * n > budget) return (i, out) => p.scoreRow(i, out);
  const cache = new Int32Array(p.mentees * n);
  const done = new Uint8Array(p.mentees);
  return (i, out) => {
    const row = cache.subarray(i * n, (i + 1) * n);
    if (done[i] === 0) {
      p.scoreRow(i, row);
      done[i] = 1;
    }
    out.set(row);
  };
}

/** Each mentee's `perMentee` best mentors, plus each mentor's best mentees (several per place). */
function candidateGraph(
  p: AssignmentProblem,
  read: RowReader,
  perMentee: number,
  perMentorPlace: number,
): Graph {
  const n = p.capacities.length;
  const places = Int32Array.from({ length: n }, (_, j) =>
    Math.max(0, Math.min(p.mentees, p.capacities[j] ?? 0)),
  );
  const mentorSide = new TopHeaps(
    places.map((c) => (c === 0 || perMentorPlace <= 0 ? 0 : Math.max(8, perMentorPlace * c))),
  );
  const mine = new TopHeaps(Int32Array.of(perMentee));
  const lists: Array<number[]> = [];
  const row = new Int32Array(n);
  for (let i = 0; i < p.mentees; i++) {
    read(i, row);
    mine.sizes[0] = 0;
    for (let j = 0; j < n; j++) {
      const s = row[j] as number;
      if (s < 0 || places[j] === 0) continue;
      if (mine.wants(0, s)) mine.offer(0, s, j);
      if (mentorSide.wants(j, s)) mentorSide.offer(j, s, i);
    }
    const list: number[] = [];
    for (let k = 0; k < (mine.sizes[0] as number); k++)
      list.push(mine.items[k] as number, mine.scores[k] as number);
    lists.push(list);
  }
  addMentorSide(lists, mentorSide);
  return toGraph(lists);
}

/** Adds each mentor's kept mentees to those mentees' lists, once. */
function addMentorSide(lists: Array<number[]>, heaps: TopHeaps): void {
  const seen = new Set<number>();
  heaps.sizes.forEach((size, j) => {
    for (let k = 0; k < size; k++) {
      const i = heaps.items[j * heaps.stride + k] as number;
      const list = lists[i] as number[];
      seen.clear();
      for (let e = 0; e < list.length; e += 2) seen.add(list[e] as number);
      if (!seen.has(j)) list.push(j, heaps.scores[j * heaps.stride + k] as number);
    }
  });
}

// ---------------------------------------------------------------------------------------------------------
// Pricing and the exact solver

/** Weight that orders assignments by total score, then by number matched. */
function weightOf(score: number, mentees: number): number {
  return score * (mentees + 1) + 1;
}

/**
 * Pairs outside the graph whose weight exceeds u_i + v_j (see Flow.duals): none means the flow is
 * optimal over all pairs. At most `perMentee` per mentee (the most violated), as [mentor, score]
 * lists per mentee, or undefined when there is none.
 */
function violations(
  p: AssignmentProblem,
  read: RowReader,
  flow: Flow,
  perMentee: number,
): Array<number[]> | undefined {
  const graph = flow.edges;
  const n = p.capacities.length;
  const row = new Int32Array(n);
  const inGraph = new Int32Array(n).fill(-1);
  const { u, v } = flow.duals();
  const found: Array<number[]> = [];
  let any = false;
  for (let i = 0; i < p.mentees; i++) {
    for (let e = graph.start[i] as number; e < (graph.start[i + 1] as number); e++)
      inGraph[graph.to[e] as number] = i;
    read(i, row);
    const bad: Array<[slack: number, mentor: number, score: number]> = [];
    for (let j = 0; j < n; j++) {
      const s = row[j] as number;
      if (s < 0 || inGraph[j] === i || (flow.places[j] as number) <= 0) continue;
      const slack = weightOf(s, p.mentees) - (u[i] as number) - (v[j] as number);
      if (slack > 0) bad.push([slack, j, s]);
    }
    bad.sort((a, b) => b[0] - a[0]);
    found.push(bad.slice(0, perMentee).flatMap(([, j, s]) => [j, s]));
    any ||= bad.length > 0;
  }
  return any ? found : undefined;
}

/** The graph with `extra` [mentor, score] pairs appended to each mentee's list. */
function extend(graph: Graph, extra: Array<number[]>): Graph {
  const lists: Array<number[]> = extra.map((more, i) => {
    const list: number[] = [];
    for (let e = graph.start[i] as number; e < (graph.start[i + 1] as number); e++)
      list.push(graph.to[e] as number, graph.score[e] as number);
    return list.concat(more);
  });
  return toGraph(lists);
}

function result(flow: Flow): Assignment {
  const { to, score } = flow.edges;
  const mentorOf = new Int32Array(flow.m).fill(-1);
  const scoreOf = new Int32Array(flow.m).fill(-1);
  let total = 0;
  let matched = 0;
  flow.edgeOf.forEach((e, i) => {
    if (e < 0) return;
    mentorOf[i] = to[e] as number;
    scoreOf[i] = score[e] as number;
    total += score[e] as number;
    matched++;
  });
  return { mentorOf, scoreOf, total, matched };
}

/**
 * The optimal assignment (see the top of this file), exact over all allowed pairs. Each pricing
 * round takes out the few mentees with a missing pair, adds their pairs and brings them back:
 * the rest of the flow is kept.
 */
export function solveAssignment(
  p: AssignmentProblem,
  options: SolveOptions = {},
): Assignment & { stats: SolveStats } {
  const perMentee = options.perMentee ?? 24;
  const places = Int32Array.from({ length: p.capacities.length }, (_, j) =>
    Math.max(0, p.capacities[j] ?? 0),
  );
  const read = rowReader(p, options.rowCacheEntries ?? 4_000_000);
  const flow = new Flow(candidateGraph(p, read, perMentee, options.perMentorPlace ?? 4), places, (s) =>
    weightOf(s, p.mentees),
  );
  for (let i = 0; i < p.mentees; i++) flow.add(i);
  for (let rounds = 1; ; rounds++) {
    const extra = violations(p, read, flow, perMentee);
    if (extra === undefined) return { ...result(flow), stats: { rounds, edges: flow.edges.to.length } };
    const changed = extra.flatMap((more, i) => (more.length > 0 ? [i] : []));
    for (const i of changed) flow.remove(i);
    flow.extend(extend(flow.edges, extra));
    for (const i of changed) flow.add(i);
  }
}

/** The baseline: mentees in the given order (sign-up), each taking their best mentor with a place left. */
export function greedyAssignment(p: AssignmentProblem, order?: ArrayLike<number>): Assignment {
  const n = p.capacities.length;
  const left = Int32Array.from({ length: n }, (_, j) => Math.max(0, p.capacities[j] ?? 0));
  const mentorOf = new Int32Array(p.mentees).fill(-1);
  const scoreOf = new Int32Array(p.mentees).fill(-1);
  const row = new Int32Array(n);
  let total = 0;
  let matched = 0;
  for (let k = 0; k < p.mentees; k++) {
    const i = order === undefined ? k : (order[k] as number);
    p.scoreRow(i, row);
    let best = -1;
    for (let j = 0; j < n; j++) {
      if (
        (left[j] as number) > 0 &&
        (row[j] as number) >= 0 &&
        (best < 0 || (row[j] as number) > (row[best] as number))
      )
        best = j;
    }
    if (best < 0) continue;
    mentorOf[i] = best;
    scoreOf[i] = row[best] as number;
    left[best] = (left[best] as number) - 1;
    total += row[best] as number;
    matched++;
  }
  return { mentorOf, scoreOf, total, matched };
}
