/**
 * `npm run bench -- history`: what a returning mentee's next ranking reads of their past proposals,
 * on the embedded FerretDB, as the proposals collection grows (1,000, 10,000 and 30,000 proposals
 * spread over 3,000 mentees). Side by side in one run: the proposals found by mentee (what every
 * ranking after the first read until the person kept their history; FerretDB pushes down only
 * `_id` filters, so this is a scan) and the whole ranking as it is now (person read by `_id`,
 * history kept on it). Last line: one JSON object.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database } from '../bot/db/database.js';
import { ensureFerretBinary, startFerret } from '../bot/db/ferretdb.js';
import { createLogger } from '../bot/log.js';
import { preloadGeo } from '../bot/reference/geo.js';
import { CandidateService } from '../bot/services/candidates.js';
import { personModel } from '../models/person.js';
import { proposalId, proposalModel } from '../models/proposal.js';
import { CLAIRE_PROFILE, LEA_PROFILE } from '../test/helpers/journey.js';

const MENTEES = 3000;
const MENTORS = 1000;
const REPEAT = 7;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

async function timedMedian(run: () => Promise<unknown>): Promise<number> {
  const ms: number[] = [];
  for (let i = 0; i < REPEAT; i++) {
    const started = performance.now();
    await run();
    ms.push(performance.now() - started);
  }
  return Math.round(median(ms) * 10) / 10;
}

export async function main(): Promise<void> {
  preloadGeo();
  const log = createLogger({ level: 'warn' });
  const dataDir = mkdtempSync(join(tmpdir(), 'tandem-bench-history-'));
  const server = await startFerret({
    binary: await ensureFerretBinary(join(homedir(), '.cache', 'tandem'), log),
    dataDir,
    log,
  });
  const db = await Database.connect(server.uri, log);
  try {
    const conn = db.connection;
    const people = personModel(conn);
    const proposals = proposalModel(conn);
    await proposals.syncIndexes();
    const mentorIds = Array.from({ length: MENTORS }, (_, i) => `mentor-${i}`);
    await people.insertMany(
      mentorIds.map((_id) => ({
        _id,
        role: 'mentor',
        status: 'active',
        locale: 'fr',
        profile: CLAIRE_PROFILE,
      })),
    );
    await people.insertMany(
      Array.from({ length: MENTEES - 1 }, (_, i) => ({
        _id: `mentee-${i + 1}`,
        role: 'mentee',
        status: 'active',
        locale: 'fr',
        profile: LEA_PROFILE,
      })),
    );
    // The mentee measured: five mentors proposed, three passed, the history kept on her person.
    const mine = mentorIds.slice(0, 5);
    await people.create({
      _id: 'mentee-0',
      role: 'mentee',
      status: 'active',
      locale: 'fr',
      profile: LEA_PROFILE,
      matching: { proposalId: proposalId('mentee-0', 'mentor-4'), proposed: mine, passed: mine.slice(0, 3) },
    });
    const candidates = new CandidateService(conn, { charterVersion: '2026-11' });
    await candidates.rankFor('mentee-0'); // the mentor index, built once and kept 5 minutes

    const rows: Record<string, number>[] = [];
    let stored = 0;
    for (const total of [1000, 10_000, 30_000]) {
      const docs = [];
      for (let i = stored; i < total; i++) {
        const menteeId = `mentee-${i % MENTEES}`;
        const mentorId = mentorIds[Math.floor(i / MENTEES) % MENTORS] as string;
        docs.push({
          _id: proposalId(menteeId, mentorId),
          menteeId,
          mentorId,
          score: 500,
          reasons: [{ key: 'sector', params: { sector: 'digital' } }],
          status: i % 3 === 0 ? 'mentee_passed' : 'expired',
          createdAt: new Date(),
        });
      }
      for (let i = 0; i < docs.length; i += 1000)
        await proposals.insertMany(docs.slice(i, i + 1000), { lean: true });
      stored = total;
      const scan = await timedMedian(() => candidates.cohortContext(['mentee-0']));
      const ranking = await timedMedian(() => candidates.rankFor('mentee-0'));
      const index = await timedMedian(async () => {
        await candidates.invalidate();
        return candidates.mentorIndex();
      });
      const row = { proposals: total, by_mentee_ms: scan, ranking_now_ms: ranking, index_build_ms: index };
      console.log(JSON.stringify(row));
      rows.push(row);
    }
    const last = rows.at(-1) as Record<string, number>;
    console.log(
      JSON.stringify({
        rows,
        at_30k_by_mentee_ms: last.by_mentee_ms,
        at_30k_ranking_now_ms: last.ranking_now_ms,
        ratio_30k: Math.round(((last.by_mentee_ms as number) / (last.ranking_now_ms as number)) * 10) / 10,
      }),
    );
  } finally {
    await db.close();
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
