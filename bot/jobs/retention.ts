import type { Connection } from 'mongoose';
import { claimModel } from '../../models/claim.js';
import { inboundMarkModel } from '../../models/inbound-mark.js';
import { linkCodeModel } from '../../models/link-code.js';
import { telegramUpdateModel } from '../../models/telegram.js';
import type { Logger } from '../log.js';
import type { Job } from './scheduler.js';

const DAY = 24 * 3600_000;
/** Telegram and Slack redeliver within hours: a week of dedupe marks is plenty. */
export const MARKS_KEPT_MS = 7 * DAY;

/**
 * Forgets what is only kept to drop redeliveries (marks, processed Telegram updates), link codes
 * past their end, and the claims of past job periods. Nothing here is personal data once the
 * update's content was dropped at processing; the privacy issue's jobs will add the rest.
 */
export function retentionJob(conn: Connection, log: Logger, now: () => number = Date.now): Job {
  return {
    name: 'retention',
    everyMs: 3600_000,
    async run() {
      const before = new Date(now() - MARKS_KEPT_MS);
      const removed = {
        marks: (await inboundMarkModel(conn).deleteMany({ at: { $lt: before } })).deletedCount,
        updates: (await telegramUpdateModel(conn).deleteMany({ state: 'done', at: { $lt: before } }))
          .deletedCount,
        links: (await linkCodeModel(conn).deleteMany({ expiresAt: { $lt: new Date(now() - DAY) } }))
          .deletedCount,
        jobs: (await claimModel(conn).deleteMany({ _id: { $regex: /^job\|/ }, at: { $lt: before } }))
          .deletedCount,
      };
      log.info({ removed }, 'retention: old records removed');
    },
  };
}
