import type { Connection } from 'mongoose';
import { claimModel } from '../../models/claim.js';
import { deliveryModel } from '../../models/delivery.js';
import { inboundMarkModel } from '../../models/inbound-mark.js';
import { keyboardModel } from '../../models/keyboard.js';
import { linkCodeModel } from '../../models/link-code.js';
import { telegramUpdateModel } from '../../models/telegram.js';
import type { Logger } from '../log.js';
import type { Job } from './scheduler.js';

const DAY = 24 * 3600_000;
/** Telegram and Slack redeliver within hours: a week of dedupe marks is plenty. */
export const MARKS_KEPT_MS = 7 * DAY;
/** A finished delivery (and its attempts' claims) is kept a month, for staff to see what went out. */
export const DELIVERIES_KEPT_MS = 30 * DAY;
/** A card's buttons (a proposal, a request) outlive every deadline after a month. */
export const CARDS_KEPT_MS = 30 * DAY;
/**
 * A keyboard kept under its own key, `<channel>|<chat>|<key>`: a standalone card's, or a past
 * multi-select question's (a chat's question keyboard has two parts).
 */
const CARD_KEYBOARD = /^[^|]+\|[^|]+\|[^|]+$/;

/**
 * Forgets what is only kept to drop redeliveries (marks, processed Telegram updates), link codes
 * past their end, the claims of past job periods, and finished deliveries of the outbox (which
 * hold message text) with their claims; pending deliveries stay, however old. The privacy
 * issue's jobs will add the rest.
 */
export function retentionJob(conn: Connection, log: Logger, now: () => number = Date.now): Job {
  return {
    name: 'retention',
    everyMs: 3600_000,
    async run() {
      const before = new Date(now() - MARKS_KEPT_MS);
      const deliveredBefore = new Date(now() - DELIVERIES_KEPT_MS);
      const removed = {
        marks: (await inboundMarkModel(conn).deleteMany({ at: { $lt: before } })).deletedCount,
        updates: (await telegramUpdateModel(conn).deleteMany({ state: 'done', at: { $lt: before } }))
          .deletedCount,
        links: (await linkCodeModel(conn).deleteMany({ expiresAt: { $lt: new Date(now() - DAY) } }))
          .deletedCount,
        jobs: (await claimModel(conn).deleteMany({ _id: { $regex: /^job\|/ }, at: { $lt: before } }))
          .deletedCount,
        deliveries: (
          await deliveryModel(conn).deleteMany({
            status: { $ne: 'pending' },
            createdAt: { $lt: deliveredBefore },
          })
        ).deletedCount,
        cards: (
          await keyboardModel(conn).deleteMany({
            _id: { $regex: CARD_KEYBOARD },
            at: { $lt: new Date(now() - CARDS_KEPT_MS) },
          })
        ).deletedCount,
        deliveryClaims: (
          await claimModel(conn).deleteMany({ _id: { $regex: /^delivery\|/ }, at: { $lt: deliveredBefore } })
        ).deletedCount,
      };
      log.info({ removed }, 'retention: old records removed');
    },
  };
}
