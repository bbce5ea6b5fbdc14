import { type SlackChannel, startSlack } from '../channels/slack/index.js';
import { startTelegram, type TelegramChannel } from '../channels/telegram/index.js';
import { startWebchat, type WebchatChannel } from '../channels/webchat/index.js';
import { type Bot, createBot } from './bot.js';
import type { Config } from './config.js';
import { AppendLog } from './db/append-log.js';
import { Database } from './db/database.js';
import { createHttpServer, type HttpServer } from './http/server.js';
import { matchingRoundJob } from './jobs/matching-round.js';
import { retentionJob } from './jobs/retention.js';
import { Scheduler } from './jobs/scheduler.js';
import { InFlight } from './lifecycle.js';
import type { Logger } from './log.js';
import { preloadCommunes } from './reference/communes.js';
import { preloadGeo } from './reference/geo.js';
import { setProgrammes } from './reference/lists.js';

export interface App {
  config: Config;
  db: Database;
  server: HttpServer;
  bot: Bot;
  webchat: WebchatChannel;
  /** Undefined when TELEGRAM_BOT_TOKEN is unset. */
  telegram: TelegramChannel | undefined;
  /** Undefined when SLACK_BOT_TOKEN is unset. */
  slack: SlackChannel | undefined;
  /** The base URL the server listens on (http://127.0.0.1:<port>). */
  url: string;
  stop(): Promise<void>;
}

/**
 * Wires the process: the database (embedded or MONGODB_URI), the HTTP server and the channels.
 * The server listens before the database is ready so /readyz can say why it is not.
 */
export async function startApp(config: Config, log: Logger, opts: { db?: Database } = {}): Promise<App> {
  const inFlight = new InFlight();
  const db = opts.db ?? (await Database.open(config, log));
  const server = createHttpServer({ db, inFlight, log });
  // Both tables load synchronously (about 0.6 s and 1 s here): now, before /readyz says yes, rather than
  // in the first turn that needs them, which would hold every other conversation for that long.
  preloadCommunes();
  preloadGeo();
  setProgrammes(config.programmes);
  const bot = createBot({ conn: db.connection, config, log });
  const webchat = startWebchat({ server, conn: db.connection, bot, config, log, inFlight });
  const telegram = startTelegram({ server, conn: db.connection, bot, config, log, inFlight });
  const slack = startSlack({ server, conn: db.connection, bot, config, log, inFlight });
  const scheduler = new Scheduler(db.connection, log);
  scheduler.start([
    retentionJob(db.connection, log),
    bot.services.outbox.job(),
    bot.services.matchmaker.job(),
    matchingRoundJob({
      conn: db.connection,
      matchmaker: bot.services.matchmaker,
      charterVersion: bot.services.candidates.charterVersion,
      log,
    }),
  ]);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const address = server.address();
  const url = `http://127.0.0.1:${address.port}`;
  log.info({ url: config.publicUrl, port: address.port }, 'Tandem is listening');

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      log.info('shutting down');
      // One deadline for the whole stop: an orchestrator kills a process that takes longer.
      const deadline = Date.now() + config.shutdownTimeoutMs;
      const left = () => Math.max(0, deadline - Date.now());
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAfterAnswers();
      // Nothing new comes in: no job, no delivery, no update or event, no web chat stream. The
      // channels still send: what is in flight goes on meanwhile.
      const jobs = scheduler.stop(left());
      const deliveries = bot.services.outbox.stop(left());
      webchat.close();
      await telegram?.stop();
      await slack?.stop();
      server.server.closeIdleConnections();
      // Together: a delivery stuck in a flood wait must not take the turns' time.
      const [jobsDone, deliveriesDone, turnsDone] = await Promise.all([
        jobs,
        deliveries,
        inFlight.drain(left()),
      ]);
      if (!jobsDone) log.warn('shutdown timeout: abandoning a scheduled job');
      if (!deliveriesDone) log.warn('shutdown timeout: abandoning deliveries being sent');
      if (!turnsDone) log.warn({ inFlight: inFlight.size }, 'shutdown timeout: abandoning work in flight');
      server.server.closeAllConnections();
      await closed;
      // The state log's writes in the background: what the deadline leaves (a miss costs a hint).
      if (!(await AppendLog.settled(left())))
        log.warn('shutdown timeout: some log heads not moved, some old entries not pruned');
      if (!opts.db) await db.close();
      log.info('stopped');
    })();
    return stopping;
  };
  return { config, db, server, bot, webchat, telegram, slack, url, stop };
}
