import type { Connection } from 'mongoose';
import type { Logger } from '../log.js';
import type { Matchmaker } from '../services/matchmaker.js';
import { runCohort } from '../staff/cohort.js';
import type { Job } from './scheduler.js';

/**
 * Every quarter of an hour, the cohort assignment of the mentees waiting for a proposal (the
 * exact one, so the first to sign up does not take the best mentors from everyone else) becomes
 * the plan, and each waiting mentee it gives a mentor is offered that mentor at once: a mentee
 * told that nobody was left hears as soon as someone is.
 */
export function matchingRoundJob(deps: {
  conn: Connection;
  matchmaker: Matchmaker;
  charterVersion: string;
  log: Logger;
  now?: () => number;
}): Job {
  return {
    name: 'matching-round',
    everyMs: 15 * 60_000,
    async run() {
      const report = await runCohort(deps.conn, {
        charterVersion: deps.charterVersion,
        apply: true,
        now: deps.now,
      });
      let offered = 0;
      for (const pair of report.pairs) {
        try {
          if (await deps.matchmaker.offerWaiting(pair.menteeId, report.runId)) offered++;
        } catch (err) {
          // One mentee's failure (their data, a moment of the database) does not stop the others'.
          deps.log.error({ err, mentee: pair.menteeId }, 'matching round: offering failed');
        }
      }
      if (report.waiting > 0)
        deps.log.info(
          {
            waiting: report.waiting,
            offered,
            total: report.optimal.total,
            greedyTotal: report.greedy.total,
            solveMs: report.solveMs,
          },
          'matching round',
        );
    },
  };
}
