import { describe, expect, it } from 'vitest';
import {
  type Assignment,
  type AssignmentProblem,
  greedyAssignment,
  solveAssignment,
} from '../../bot/matching/assignment.js';
import { bruteForce } from './helpers.js';
import { random } from './synthetic.js';

/** A problem given by a full score matrix (-1: forbidden). */
function matrixProblem(scores: number[][], capacities: number[]): AssignmentProblem {
  return {
    mentees: scores.length,
    capacities,
    scoreRow(i, out) {
      (scores[i] as number[]).forEach((s, j) => {
        out[j] = s;
      });
    },
  };
}

function randomInstance(seed: number) {
  const rnd = random(seed);
  const mentees = 1 + Math.floor(rnd() * 7);
  const mentors = 1 + Math.floor(rnd() * 4);
  const forbidden = rnd() * 0.6;
  // Few distinct scores: ties are where a solver goes wrong.
  const scores = Array.from({ length: mentees }, () =>
    Array.from({ length: mentors }, () => (rnd() < forbidden ? -1 : Math.floor(rnd() * 6))),
  );
  const capacities = Array.from({ length: mentors }, () => Math.floor(rnd() * 3));
  return { scores, capacities };
}

/** The assignment respects capacities and filters, and its totals add up. */
function checkFeasible(a: Assignment, scores: number[][], capacities: number[]) {
  const load = capacities.map(() => 0);
  let total = 0;
  let matched = 0;
  a.mentorOf.forEach((j, i) => {
    if (j < 0) return;
    const s = scores[i]?.[j] as number;
    expect(s, `pair (${i}, ${j}) is forbidden`).toBeGreaterThanOrEqual(0);
    expect(a.scoreOf[i]).toBe(s);
    load[j] = (load[j] as number) + 1;
    total += s;
    matched++;
  });
  load.forEach((l, j) => {
    expect(l, `mentor ${j} over capacity`).toBeLessThanOrEqual(Math.max(0, capacities[j] as number));
  });
  expect(a.total).toBe(total);
  expect(a.matched).toBe(matched);
}

describe('solveAssignment', () => {
  it('finds the brute-force optimum (total, then matched) on 500 small random instances', () => {
    for (let seed = 1; seed <= 500; seed++) {
      const { scores, capacities } = randomInstance(seed);
      const best = bruteForce(scores, capacities);
      const p = matrixProblem(scores, capacities);
      // perMentee 1 forces pricing rounds: the certificate, not the candidate list, makes it exact.
      for (const options of [{}, { perMentee: 1, perMentorPlace: 0 }, { perMentee: 2, rowCacheEntries: 0 }]) {
        const a = solveAssignment(p, options);
        checkFeasible(a, scores, capacities);
        expect({ seed, total: a.total, matched: a.matched }).toEqual({ seed, ...best });
      }
    }
  });

  it('needs extra rounds when the candidate list is too short, and still finds the optimum', () => {
    // Mentee 0 prefers mentor 0, but mentee 1 can only go there: the best total sends mentee 0 to
    // mentor 1, which a one-candidate graph does not contain at first.
    const scores = [
      [10, 9],
      [10, -1],
    ];
    const a = solveAssignment(matrixProblem(scores, [1, 1]), { perMentee: 1, perMentorPlace: 0 });
    expect(Array.from(a.mentorOf)).toEqual([1, 0]);
    expect(a.total).toBe(19);
    expect(a.stats.rounds).toBeGreaterThan(1);
  });

  it('prefers more matches only among equal totals', () => {
    // One pair worth 5, or two pairs worth 2 + 2: the higher total wins, even with fewer matches.
    expect(solveAssignment(matrixProblem([[5], [2]], [1])).matched).toBe(1);
    const twoByTwo = solveAssignment(
      matrixProblem(
        [
          [5, 0],
          [-1, 0],
        ],
        [1, 1],
      ),
    );
    expect({ total: twoByTwo.total, matched: twoByTwo.matched }).toEqual({ total: 5, matched: 2 });
  });

  it('never uses a forbidden pair or a mentor without places', () => {
    const scores = [
      [-1, 7, 3],
      [-1, 6, -1],
      [9, 8, -1],
    ];
    const capacities = [0, 1, 2];
    const a = solveAssignment(matrixProblem(scores, capacities));
    checkFeasible(a, scores, capacities);
    expect(a.mentorOf[0]).not.toBe(0);
    expect(a.mentorOf[2]).not.toBe(0);
  });

  it('handles no mentee, no mentor and nothing allowed', () => {
    expect(solveAssignment(matrixProblem([], [1, 2])).matched).toBe(0);
    expect(solveAssignment(matrixProblem([[], []], [])).matched).toBe(0);
    expect(solveAssignment(matrixProblem([[-1], [-1]], [3])).total).toBe(0);
  });

  it('is never worse than the greedy baseline, which can be beaten', () => {
    for (let seed = 1000; seed < 1200; seed++) {
      const { scores, capacities } = randomInstance(seed);
      const p = matrixProblem(scores, capacities);
      const greedy = greedyAssignment(p);
      checkFeasible(greedy, scores, capacities);
      expect(solveAssignment(p).total).toBeGreaterThanOrEqual(greedy.total);
    }
    // First come takes the shared favourite; the second then has nobody.
    const p = matrixProblem(
      [
        [9, 8],
        [9, -1],
      ],
      [1, 1],
    );
    expect(greedyAssignment(p)).toMatchObject({ total: 9, matched: 1 });
    expect(greedyAssignment(p, [1, 0])).toMatchObject({ total: 17, matched: 2 });
    expect(solveAssignment(p)).toMatchObject({ total: 17, matched: 2 });
  });
});
