/**
 * The min-cost flow behind the cohort assignment, on a sparse graph of candidate pairs.
 *
 * Nodes: mentees 0..M-1, mentors M..M+N-1, the sink M+N. Each mentee in the flow sends one unit,
 * to the sink, either through a mentor (arc mentee → mentor of cost −weight, then mentor → sink,
 * capacity = places) or directly ("no mentor", cost 0). Potentials `pi` keep every residual arc's
 * reduced cost c + π(from) − π(to) ≥ 0, so shortest paths are found with Dijkstra; the flow stays
 * optimal for the mentees in it after each `add` and `remove` (successive shortest paths).
 *
 * The arc mentee → mentor has no capacity of its own (the mentee's single unit bounds it), so it
 * stays residual when used: its reduced cost is then exactly 0, which makes the duals read from
 * the potentials (see `duals`) an exact optimality certificate.
 */

/** Candidate pairs grouped by mentee (CSR): mentors `to[start[i]..start[i+1])`, with their scores. */
export interface Graph {
  start: Int32Array;
  to: Int32Array;
  score: Int32Array;
}

export class Flow {
  readonly m: number;
  readonly sink: number;
  readonly pi: Float64Array;
  /** The edge of each mentee's mentor, or -1 (no mentor, or not in the flow). */
  readonly edgeOf: Int32Array;
  /** Whether each mentee is in the flow. */
  readonly active: Uint8Array;
  readonly load: Int32Array;
  /** Mentees of each mentor, as doubly linked lists over mentees. */
  private readonly head: Int32Array;
  private readonly next: Int32Array;
  private readonly prev: Int32Array;
  private readonly dist: Float64Array;
  private readonly pred: Int32Array;
  private readonly predEdge: Int32Array;
  private readonly seenAt: Int32Array;
  private readonly doneAt: Int32Array;
  private readonly settled: number[] = [];
  private readonly heap = new NodeHeap();
  private round = 0;
  private weight: Float64Array;

  constructor(
    private graph: Graph,
    readonly places: Int32Array,
    private readonly weightOf: (score: number) => number,
  ) {
    this.m = graph.start.length - 1;
    const n = places.length;
    const v = this.m + n + 1;
    this.sink = this.m + n;
    this.weight = Float64Array.from(graph.score, weightOf);
    this.pi = new Float64Array(v);
    this.edgeOf = new Int32Array(this.m).fill(-1);
    this.active = new Uint8Array(this.m);
    this.load = new Int32Array(n);
    this.head = new Int32Array(n).fill(-1);
    this.next = new Int32Array(this.m).fill(-1);
    this.prev = new Int32Array(this.m).fill(-1);
    this.dist = new Float64Array(v);
    this.pred = new Int32Array(v);
    this.predEdge = new Int32Array(v);
    this.seenAt = new Int32Array(v);
    this.doneAt = new Int32Array(v);
  }

  get edges(): Graph {
    return this.graph;
  }

  /** Brings mentee s (not in the flow) in along a shortest path: the flow stays optimal. */
  add(s: number): void {
    const { start, to } = this.graph;
    // s has no arc coming in yet: lift its potential so that its arcs' reduced costs are ≥ 0.
    let top = this.pi[this.sink] as number;
    for (let e = start[s] as number; e < (start[s + 1] as number); e++)
      top = Math.max(top, (this.weight[e] as number) + (this.pi[this.m + (to[e] as number)] as number));
    this.pi[s] = top;
    this.active[s] = 1;
    this.dijkstra(s, this.sink);
    this.pushPath(s, this.sink);
    this.updatePotentials(this.sink);
  }

  /**
   * Takes mentee t out of the flow, the others rearranged optimally: the unit t sends is cancelled
   * along a shortest path from the sink back to t (someone may take t's place, and so on).
   */
  remove(t: number): void {
    this.dijkstra(this.sink, t);
    this.pushPath(this.sink, t);
    this.updatePotentials(t);
    this.active[t] = 0;
  }

  /**
   * Swaps in a graph that has the same edges per mentee, in the same order, plus some appended:
   * the flow and potentials carry over (callers take out the mentees whose edges grew first).
   */
  extend(graph: Graph): void {
    const old = this.graph.start;
    this.edgeOf.forEach((e, i) => {
      if (e >= 0) this.edgeOf[i] = (graph.start[i] as number) + e - (old[i] as number);
    });
    this.graph = graph;
    this.weight = Float64Array.from(graph.score, this.weightOf);
  }

  private relax(v: number, d: number, from: number, edge: number): void {
    if (this.doneAt[v] === this.round) return;
    if (this.seenAt[v] === this.round && d >= (this.dist[v] as number)) return;
    this.seenAt[v] = this.round;
    this.dist[v] = d;
    this.pred[v] = from;
    this.predEdge[v] = edge;
    this.heap.push(v, d);
  }

  /** Dijkstra on reduced costs from `source` until `target` is settled. */
  private dijkstra(source: number, target: number): void {
    this.round++;
    this.settled.length = 0;
    this.heap.clear();
    this.relax(source, 0, -1, -1);
    while (this.heap.size > 0) {
      const v = this.heap.pop();
      if (this.doneAt[v] === this.round) continue;
      this.doneAt[v] = this.round;
      this.settled.push(v);
      if (v === target) return;
      if (v < this.m) this.fromMentee(v);
      else if (v < this.sink) this.fromMentor(v);
      else this.fromSink();
    }
    throw new Error('assignment: no path (a bug: "no mentor" is always possible)');
  }

  /** Residual arcs out of a mentee: to each candidate mentor, and "no mentor". */
  private fromMentee(v: number): void {
    const { start, to } = this.graph;
    const d = this.dist[v] as number;
    const pv = this.pi[v] as number;
    for (let e = start[v] as number; e < (start[v + 1] as number); e++) {
      const u = this.m + (to[e] as number);
      this.relax(u, d - (this.weight[e] as number) + pv - (this.pi[u] as number), v, e);
    }
    this.relax(this.sink, d + pv - (this.pi[this.sink] as number), v, -1);
  }

  /** Residual arcs out of a mentor: back to each of its mentees, and to the sink if a place is left. */
  private fromMentor(v: number): void {
    const j = v - this.m;
    const d = this.dist[v] as number;
    const pv = this.pi[v] as number;
    for (let i = this.head[j] as number; i >= 0; i = this.next[i] as number)
      this.relax(
        i,
        d + (this.weight[this.edgeOf[i] as number] as number) + pv - (this.pi[i] as number),
        v,
        -1,
      );
    if ((this.load[j] as number) < (this.places[j] as number))
      this.relax(this.sink, d + pv - (this.pi[this.sink] as number), v, -1);
  }

  /** Residual arcs out of the sink (used by `remove`): back to each used mentor and to each mentee without one. */
  private fromSink(): void {
    const ps = this.pi[this.sink] as number;
    for (let j = 0; j < this.load.length; j++) {
      if ((this.load[j] as number) > 0)
        this.relax(this.m + j, ps - (this.pi[this.m + j] as number), this.sink, -1);
    }
    for (let i = 0; i < this.m; i++) {
      if (this.active[i] === 1 && (this.edgeOf[i] as number) < 0)
        this.relax(i, ps - (this.pi[i] as number), this.sink, -1);
    }
  }

  /**
   * Sends one unit along the path found from `source` to `target`: each mentee on it leaves the
   * mentor before it (if it came through one) and joins the mentor after it (if any).
   */
  private pushPath(source: number, target: number): void {
    const path: number[] = [];
    for (let v = target; v !== source; v = this.pred[v] as number) path.push(v);
    path.push(source);
    path.reverse();
    path.forEach((v, k) => {
      if (v >= this.m) return;
      const before = path[k - 1];
      const after = path[k + 1];
      if (before !== undefined && before >= this.m && before < this.sink) this.leave(v);
      if (after !== undefined && after >= this.m && after < this.sink)
        this.join(v, this.predEdge[after] as number);
    });
  }

  private updatePotentials(target: number): void {
    const dt = this.dist[target] as number;
    for (const v of this.settled) this.pi[v] = (this.pi[v] as number) + (this.dist[v] as number) - dt;
  }

  private leave(i: number): void {
    const e = this.edgeOf[i] as number;
    if (e < 0) return;
    const j = this.graph.to[e] as number;
    const p = this.prev[i] as number;
    const n = this.next[i] as number;
    if (p >= 0) this.next[p] = n;
    else this.head[j] = n;
    if (n >= 0) this.prev[n] = p;
    this.load[j] = (this.load[j] as number) - 1;
    this.edgeOf[i] = -1;
  }

  private join(i: number, e: number): void {
    const j = this.graph.to[e] as number;
    const h = this.head[j] as number;
    this.next[i] = h;
    this.prev[i] = -1;
    if (h >= 0) this.prev[h] = i;
    this.head[j] = i;
    this.load[j] = (this.load[j] as number) + 1;
    this.edgeOf[i] = e;
  }

  /**
   * LP duals of the assignment, from the potentials: u_i = π(i) − π(sink) for each mentee, and
   * v_j = max(0, π(sink) − π(j)) for each mentor (per place). They satisfy u_i + v_j ≥ weight on
   * every arc of the graph, with equality on the pairs used; if that also holds for every other
   * allowed pair, the flow is optimal over all pairs (LP duality: the bipartite LP is integral).
   */
  duals(): { u: Float64Array; v: Float64Array } {
    const ps = this.pi[this.sink] as number;
    return {
      u: Float64Array.from({ length: this.m }, (_, i) => (this.pi[i] as number) - ps),
      v: Float64Array.from(this.load, (_, j) => Math.max(0, ps - (this.pi[this.m + j] as number))),
    };
  }
}

/** A binary min-heap of (node, key) with lazy deletion: stale entries are skipped by the caller. */
class NodeHeap {
  private nodes = new Int32Array(1024);
  private keys = new Float64Array(1024);
  size = 0;
  clear(): void {
    this.size = 0;
  }
  push(node: number, key: number): void {
    if (this.size === this.nodes.length) {
      const nodes = new Int32Array(this.size * 2);
      const keys = new Float64Array(this.size * 2);
      nodes.set(this.nodes);
      keys.set(this.keys);
      this.nodes = nodes;
      this.keys = keys;
    }
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((this.keys[parent] as number) <= key) break;
      this.nodes[i] = this.nodes[parent] as number;
      this.keys[i] = this.keys[parent] as number;
      i = parent;
    }
    this.nodes[i] = node;
    this.keys[i] = key;
  }
  pop(): number {
    const top = this.nodes[0] as number;
    const last = --this.size;
    const node = this.nodes[last] as number;
    const key = this.keys[last] as number;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= last) break;
      if (child + 1 < last && (this.keys[child + 1] as number) < (this.keys[child] as number)) child++;
      if ((this.keys[child] as number) >= key) break;
      this.nodes[i] = this.nodes[child] as number;
      this.keys[i] = this.keys[child] as number;
      i = child;
    }
    this.nodes[i] = node;
    this.keys[i] = key;
    return top;
  }
}
