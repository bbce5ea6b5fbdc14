import type { i18n } from 'i18next';
import type { Connection } from 'mongoose';
import { type AlertDoc, type AlertKind, alertModel } from '../../models/alert.js';
import { insertOnce } from '../db/insert-once.js';
import { text } from '../engine/reply.js';
import { DEFAULT_LOCALE } from '../i18n.js';
import type { Logger } from '../log.js';
import type { Outbox } from './outbox.js';

/**
 * Tells staff, once a day (the hub's day) at most per person and kind, or once per `about` (the
 * match, the request) for alerts that are each about something of their own: stored (the
 * dashboard reads them), logged without personal data, and posted to the staff's Slack channel
 * when one is configured. The post goes through the outbox, so it is sent once even if two
 * processes raise the same alert.
 */
export class AlertService {
  private readonly alerts;

  constructor(
    private readonly deps: {
      conn: Connection;
      outbox: Outbox;
      i18n: i18n;
      log: Logger;
      slackChannel?: string;
      now?: () => number;
      timeZone?: string;
    },
  ) {
    this.alerts = alertModel(deps.conn);
    // en-CA writes a date as YYYY-MM-DD.
    this.day = new Intl.DateTimeFormat('en-CA', { timeZone: deps.timeZone ?? 'Europe/Paris' });
  }

  private readonly day: Intl.DateTimeFormat;

  /**
   * Raises `kind` about `personId`; false when it was already raised today, or for `about` when
   * given (two pairs of one mentor to put in touch are two alerts, whatever the day).
   */
  async raise(
    kind: AlertKind,
    personId: string,
    params: Record<string, string | number> = {},
    about?: string,
  ): Promise<boolean> {
    const at = new Date((this.deps.now ?? Date.now)());
    const doc: AlertDoc = {
      _id: `${kind}|${personId}|${about ?? this.day.format(at)}`,
      kind,
      personId,
      params,
      at,
    };
    if (!(await insertOnce(this.alerts.collection, doc))) return false;
    this.deps.log.info({ alert: kind, personId }, 'staff alert');
    const channel = this.deps.slackChannel;
    if (channel) {
      const t = this.deps.i18n.getFixedT(DEFAULT_LOCALE);
      await this.deps.outbox.enqueue(
        `alert|${doc._id}`,
        {
          channel: 'slack',
          conversation: {
            conversation: { id: channel, name: 'staff', isGroup: true, conversationType: 'channel' },
          },
        },
        [text(t(`alerts:${kind}`, { ...params, personId }))],
      );
    }
    return true;
  }

  /** Alerts not dealt with yet, newest first (the staff tools). */
  async open(): Promise<AlertDoc[]> {
    return this.alerts
      .find({ handledAt: { $exists: false } })
      .sort({ at: -1 })
      .lean<AlertDoc[]>();
  }
}
