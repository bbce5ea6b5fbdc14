import type { i18n } from 'i18next';
import type { Connection } from 'mongoose';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { AlertService } from './alerts.js';
import { CandidateService } from './candidates.js';
import { ConsentService } from './consents.js';
import { LinkService } from './links.js';
import { Matchmaker } from './matchmaker.js';
import { Outbox } from './outbox.js';
import { PeopleService } from './people.js';
import { ProposalService } from './proposals.js';

/** The services dialogs may use. Dialogs never import models/. */
export interface Services {
  people: PeopleService;
  consents: ConsentService;
  links: LinkService;
  proposals: ProposalService;
  candidates: CandidateService;
  outbox: Outbox;
  alerts: AlertService;
  matchmaker: Matchmaker;
}

export interface ServiceDeps {
  conn: Connection;
  config: Config;
  log: Logger;
  i18n: i18n;
  /** A fake clock (tests of deadlines). */
  now?: () => number;
}

/** The services on one connection. The outbox sends once the channels give it a sender. */
export function createServices({ conn, config, log, i18n, now }: ServiceDeps): Services {
  const people = new PeopleService(conn);
  const proposals = new ProposalService(conn, now);
  const outbox = new Outbox({ conn, log, now });
  const alerts = new AlertService({
    conn,
    outbox,
    i18n,
    log,
    slackChannel: config.staff.slackChannel,
    now,
    timeZone: config.timeZone,
  });
  const candidates = new CandidateService(conn, {
    charterVersion: i18n.getFixedT('fr')('charter:version'),
    now,
  });
  const matchmaker = new Matchmaker({
    conn,
    i18n,
    log,
    people,
    proposals,
    candidates,
    outbox,
    alerts,
    deadlineMs: config.matching.deadlineMs,
    timeZone: config.timeZone,
  });
  return {
    people,
    consents: new ConsentService(conn),
    links: new LinkService(conn),
    proposals,
    candidates,
    outbox,
    alerts,
    matchmaker,
  };
}
