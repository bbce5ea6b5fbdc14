import { spawn } from 'node:child_process';
import type { Connection } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Database } from '../../bot/db/database.js';
import { createI18n } from '../../bot/i18n.js';
import { ConsentService } from '../../bot/services/consents.js';
import { ProposalService } from '../../bot/services/proposals.js';
import { type CohortReport, formatCohortReport, runCohort } from '../../bot/staff/cohort.js';
import { cohortPlanModel, plannedMentor } from '../../models/cohort-plan.js';
import { type Profile, personModel, type Role } from '../../models/person.js';
import { freshDbUri, silentLog } from '../helpers/db.js';
import { CLAIRE_PROFILE, LEA_PROFILE } from '../helpers/journey.js';

const i18n = createI18n();
const t = i18n.getFixedT('fr');
/** The CLI takes the charter version from the French locale: so do these people. */
const CHARTER = t('charter:version');
const T0 = Date.parse('2026-11-02T09:00:00Z');

const uri = freshDbUri('cohort');
let db: Database;
let conn: Connection;

async function person(id: string, role: Role, profile: Profile, at = T0) {
  await personModel(conn).create({
    _id: id,
    role,
    status: 'active',
    locale: 'fr',
    profile,
    proactive: true,
    createdAt: new Date(at),
  });
  await new ConsentService(conn).record({
    personId: id,
    kind: 'charter',
    decision: 'accepted',
    version: CHARTER,
    locale: 'fr',
    text: 'La charte',
    channel: 'test',
    turnKey: 'turn-1',
  });
}

/** `node --import tsx bot/staff/cli.ts …` as `npm run staff -- …` runs it, against the test database. */
function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bot/staff/cli.ts', ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, MONGODB_URI: uri, NODE_ENV: 'test' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b) => {
    stdout += b;
  });
  child.stderr.on('data', (b) => {
    stderr += b;
  });
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

beforeAll(async () => {
  db = await Database.connect(uri, silentLog);
  conn = db.connection;
  // A (one place) suits everyone best; B only speaks French. Mentee 1, first to sign up, takes A
  // when proposals go greedily in sign-up order, and mentee 2 (Spanish only) is left with nobody;
  // the optimum gives mentee 1 to B and A to a Spanish speaker. Mentee 3 shares no language with
  // any mentor; mentee 4 competes with mentee 2 for A.
  await person('mentor-a', 'mentor', {
    ...CLAIRE_PROFILE,
    sectors: ['digital'],
    languages: ['fr', 'es'],
    capacity: '1',
  });
  await person('mentor-b', 'mentor', { ...CLAIRE_PROFILE, languages: ['fr'], capacity: '1' });
  await person('mentee-1', 'mentee', LEA_PROFILE, T0);
  await person('mentee-2', 'mentee', { ...LEA_PROFILE, languages: ['es'] }, T0 + 60_000);
  await person('mentee-3', 'mentee', { ...LEA_PROFILE, languages: ['ar'] }, T0 + 120_000);
  await person('mentee-4', 'mentee', { ...LEA_PROFILE, languages: ['es'] }, T0 + 180_000);
});

afterAll(async () => {
  await conn.dropDatabase().catch(() => {});
  await db.close();
});

const plans = async () =>
  (await cohortPlanModel(conn).find().sort({ _id: 1 }).lean()).map(({ _id, mentorId, runId }) => ({
    _id,
    mentorId,
    runId,
  }));

describe('the staff cohort command', () => {
  let dry: CohortReport;

  it('finds a better total than greedy sign-up order, and says why the others get nobody', async () => {
    dry = await runCohort(conn, { charterVersion: CHARTER, apply: false });
    expect(dry).toMatchObject({
      applied: false,
      waiting: 4,
      mentors: 2,
      places: 2,
      optimal: { matched: 2 },
      greedy: { matched: 1 },
      gain: { mentees: 1 },
      unmatched: { total: 2, noEligibleMentor: 1, capacityTaken: 1 },
    });
    expect(dry.optimal.total).toBeGreaterThan(dry.greedy.total);
    expect(dry.gain.percent).toBe(
      Math.round(((dry.optimal.total - dry.greedy.total) / dry.greedy.total) * 1000) / 10,
    );
    expect(dry.pairs.find((p) => p.menteeId === 'mentee-1')?.mentorId).toBe('mentor-b');
    expect(dry.pairs.map((p) => p.menteeId)).not.toContain('mentee-3');
    expect(dry.optimal.total).toBe(dry.pairs.reduce((sum, p) => sum + p.score, 0));
    expect(await plans()).toEqual([]);
  });

  it('prints the comparison as a short French table', () => {
    const text = formatCohortReport(dry, t);
    const nf = new Intl.NumberFormat('fr');
    expect(text).toContain('Affectation de la cohorte');
    expect(text).toMatch(/Mentorés en attente +4\n/);
    expect(text).toMatch(/Optimale +Ordre d'inscription\n/);
    expect(text).toMatch(
      new RegExp(`Score total +${nf.format(dry.optimal.total)} +${nf.format(dry.greedy.total)}\n`),
    );
    expect(text).toMatch(/Mentorés avec une proposition +2 +1\n/);
    expect(text).toMatch(/Gain : \+\d+(,\d)?\s%\sde score, \+1 mentoré avec une proposition\./);
    expect(text).toContain(
      'Sans proposition : 2 mentorés (1 sans aucun mentor compatible, 1 faute de place).',
    );
    expect(text).toContain("Rien n'est enregistré. Ajoutez --apply");
  });

  it('saves the plan with --apply, and a second run replaces it', async () => {
    const first = await runCohort(conn, { charterVersion: CHARTER, apply: true, now: () => T0 });
    expect(first.applied).toBe(true);
    const planned = await plannedMentor(conn, 'mentee-1');
    expect(planned).toEqual({
      mentorId: 'mentor-b',
      score: first.pairs.find((p) => p.menteeId === 'mentee-1')?.score,
    });
    expect(await plannedMentor(conn, 'mentee-3')).toBeUndefined();
    expect((await plans()).map((p) => p.runId)).toEqual([first.runId, first.runId]);

    // Mentee 1 gets her proposal (she no longer waits) and a Spanish-speaking mentor arrives.
    await new ProposalService(conn).propose({
      menteeId: 'mentee-1',
      mentorId: 'mentor-b',
      score: 1,
      reasons: [],
    });
    await person('mentor-c', 'mentor', { ...CLAIRE_PROFILE, languages: ['es'], capacity: '1' });
    const second = await runCohort(conn, { charterVersion: CHARTER, apply: true });
    expect(second).toMatchObject({ waiting: 3, optimal: { matched: 2 }, unmatched: { noEligibleMentor: 1 } });
    const now = await plans();
    expect(now.map((p) => [p._id, p.runId])).toEqual([
      ['mentee-2', second.runId],
      ['mentee-4', second.runId],
    ]);
    expect(now.map((p) => p.mentorId).sort()).toEqual(['mentor-a', 'mentor-c']);
    expect(await plannedMentor(conn, 'mentee-1')).toBeUndefined();
  });

  it('runs from the command line: the table, then the report as JSON on the last line', async () => {
    const expected = await runCohort(conn, { charterVersion: CHARTER, apply: false });
    const { code, stdout, stderr } = await cli(['cohort', '--apply']);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('Affectation de la cohorte');
    expect(stdout).toContain('Plan enregistré');
    const report = JSON.parse(lines.at(-1) ?? '') as CohortReport;
    expect(report).toMatchObject({
      applied: true,
      waiting: expected.waiting,
      optimal: expected.optimal,
      greedy: expected.greedy,
      unmatched: expected.unmatched,
    });
    expect(new Set((await plans()).map((p) => p.runId))).toEqual(new Set([report.runId]));
  }, 90_000);

  it('prints the usage for help (exit 0) and for a bad command (exit 2)', async () => {
    const [help, bad, badFlag] = await Promise.all([
      cli(['help']),
      cli(['cohorte']),
      cli(['cohort', '--force']),
    ]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('npm run staff -- <commande>');
    expect(help.stdout).toContain('cohort --apply');
    for (const r of [bad, badFlag]) {
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain('npm run staff -- <commande>');
    }
  }, 90_000);
});
