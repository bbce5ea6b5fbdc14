/**
 * The staff's cohort command: the assignment of every waiting mentee that maximizes the total
 * score under the mentors' capacities (bot/matching/cohort.ts), shown against proposing greedily in
 * sign-up order and, with `apply`, saved as the plan that each mentee's next proposal follows.
 */
import { randomUUID } from 'node:crypto';
import type { Connection } from 'mongoose';
import { savePlan } from '../../models/cohort-plan.js';
import type { Locale, TFunction } from '../i18n.js';
import { assignCohort, type CohortContext, type CohortPair, cohortProblem } from '../matching/cohort.js';
import type { MentorIndex } from '../matching/mentors.js';
import { capacity, type MenteeCandidate } from '../matching/profile.js';
import { CandidateService } from '../services/candidates.js';

export interface CohortReport {
  runId: string;
  /** Whether the plan was saved. */
  applied: boolean;
  waiting: number;
  /** Mentors who can be proposed now (charter current, not paused, not full)… */
  mentors: number;
  /** …and their places left, together. */
  places: number;
  optimal: { total: number; matched: number };
  greedy: { total: number; matched: number };
  /** Optimal over greedy: % of greedy's total score (null when greedy's is 0), mentees matched. */
  gain: { percent: number | null; mentees: number };
  solveMs: number;
  unmatched: {
    total: number;
    /** Every mentor is filtered out for them (language, history, charter…). */
    noEligibleMentor: number;
    /** Some mentor could take them, but their places went to mentees who gained more. */
    capacityTaken: number;
  };
  /** The optimal assignment, in sign-up order of the mentees. */
  pairs: CohortPair[];
}

/** Mentors who can be proposed now, and their places left. */
function openPlaces(index: MentorIndex): { mentors: number; places: number } {
  let mentors = 0;
  let places = 0;
  index.mentors.forEach((m, j) => {
    if (index.filter[j] !== 0) return;
    mentors++;
    places += capacity(m.profile) - m.activeMentees;
  });
  return { mentors, places };
}

/** How many of these mentees no mentor of the index may be proposed to, places aside. */
function withoutEligibleMentor(
  mentees: readonly MenteeCandidate[],
  index: MentorIndex,
  context: CohortContext,
): number {
  const problem = cohortProblem(mentees, index, context);
  const row = new Int32Array(index.size);
  let none = 0;
  for (let i = 0; i < mentees.length; i++) {
    problem.scoreRow(i, row);
    if (!row.some((s) => s >= 0)) none++;
  }
  return none;
}

const round1 = (x: number) => Math.round(x * 10) / 10;

/** Computes the cohort assignment of every waiting mentee; with `apply`, saves it as the plan. */
export async function runCohort(
  conn: Connection,
  opts: { charterVersion: string; apply: boolean; now?: () => number },
): Promise<CohortReport> {
  const now = opts.now ?? Date.now;
  const candidates = new CandidateService(conn, { charterVersion: opts.charterVersion, now });
  const [mentees, index] = await Promise.all([candidates.waitingMentees(), candidates.mentorIndex()]);
  const context = await candidates.cohortContext(mentees.map((m) => m.id));
  const started = performance.now();
  const result = assignCohort(mentees, index, context);
  const solveMs = round1(performance.now() - started);
  const runId = randomUUID();
  if (opts.apply) await savePlan(conn, { runId, createdAt: new Date(now()), pairs: result.pairs });
  const unmatched = new Set(result.unmatched);
  const noEligibleMentor = withoutEligibleMentor(
    mentees.filter((m) => unmatched.has(m.id)),
    index,
    context,
  );
  return {
    runId,
    applied: opts.apply,
    waiting: mentees.length,
    ...openPlaces(index),
    optimal: { total: result.total, matched: result.matched },
    greedy: result.greedy,
    gain: {
      percent:
        result.greedy.total > 0
          ? round1(((result.total - result.greedy.total) / result.greedy.total) * 100)
          : null,
      mentees: result.matched - result.greedy.matched,
    },
    solveMs,
    unmatched: {
      total: unmatched.size,
      noEligibleMentor,
      capacityTaken: unmatched.size - noEligibleMentor,
    },
    pairs: result.pairs,
  };
}

/** Rows of cells as text columns: the first aligned left, the others right. */
function columns(rows: readonly string[][]): string[] {
  const widths = (rows[0] ?? []).map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) =>
    r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0))).join('   '),
  );
}

/** The report for people: a few lines and a table, in `locale` (the staff's is French). */
export function formatCohortReport(report: CohortReport, t: TFunction, locale: Locale = 'fr'): string {
  const n = new Intl.NumberFormat(locale, { maximumFractionDigits: 1 });
  const signed = new Intl.NumberFormat(locale, { signDisplay: 'exceptZero' });
  const percent = new Intl.NumberFormat(locale, {
    style: 'percent',
    maximumFractionDigits: 1,
    signDisplay: 'exceptZero',
  });
  const { optimal, greedy, gain, unmatched } = report;
  const lines = [
    t('staff:cohort.title'),
    ...columns([
      [t('staff:cohort.waiting'), n.format(report.waiting)],
      [t('staff:cohort.mentors'), n.format(report.mentors)],
      [t('staff:cohort.places'), n.format(report.places)],
    ]),
    '',
    ...columns([
      ['', t('staff:cohort.optimal'), t('staff:cohort.greedy')],
      [t('staff:cohort.total'), n.format(optimal.total), n.format(greedy.total)],
      [t('staff:cohort.matched'), n.format(optimal.matched), n.format(greedy.matched)],
    ]),
    '',
    t('staff:cohort.gain', {
      count: gain.mentees,
      percent: gain.percent === null ? t('staff:cohort.not_measurable') : percent.format(gain.percent / 100),
      mentees: signed.format(gain.mentees),
    }),
    t('staff:cohort.unmatched', {
      count: unmatched.total,
      none: n.format(unmatched.noEligibleMentor),
      taken: n.format(unmatched.capacityTaken),
    }),
    t('staff:cohort.solve', { ms: n.format(report.solveMs) }),
    report.applied ? t('staff:cohort.applied') : t('staff:cohort.dry_run'),
  ];
  return lines.join('\n');
}
