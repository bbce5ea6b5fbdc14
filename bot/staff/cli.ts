/**
 * The staff's command line: `npm run staff -- <command>` (see `help`). It opens the database as
 * `npm start` does (MONGODB_URI, or the embedded FerretDB under DATA_DIR: the running app's when
 * there is one), prints for people in
 * French, then one JSON object on the last line for scripts. Exit codes: 0 done, 1 failed, 2 bad
 * usage.
 */
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Config, loadConfig } from '../config.js';
import { Database } from '../db/database.js';
import { ConfigError, errorMessage } from '../errors.js';
import { createI18n } from '../i18n.js';
import { createLogger } from '../log.js';
import { formatCohortReport, runCohort } from './cohort.js';

/** How long to wait for the database before giving up (it retries in the background). */
const CONNECT_TIMEOUT_MS = 60_000;

const i18n = createI18n();
const t = i18n.getFixedT('fr');

const [command, ...flags] = process.argv.slice(2);
if (command === 'help' || command === '--help') {
  console.log(t('staff:usage'));
  process.exit(0);
}
if (command !== 'cohort' || flags.some((f) => f !== '--apply')) {
  console.error(t('staff:usage'));
  process.exit(2);
}

if (existsSync('.env')) process.loadEnvFile('.env');
let config: Config;
try {
  config = loadConfig();
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(t('staff:error.config', { message: err.message }));
  process.exit(1);
}

// Logs go to stderr, below the warnings unless LOG_LEVEL asks: stdout is the report.
const log = createLogger({
  level: process.env.LOG_LEVEL ? config.logLevel : 'warn',
  destination: process.stderr,
});

let db: Database | undefined;
let exitCode = 0;
try {
  // With the embedded database, the app's own server if it runs (see Database.open).
  db = await Database.open(config, log, { attach: true });
  const connected = await Promise.race([
    db.whenConnected().then(() => true),
    sleep(CONNECT_TIMEOUT_MS, false, { ref: false }),
  ]);
  if (!connected) throw new Error(t('staff:error.database', { reason: (await db.readiness()).reason }));
  const report = await runCohort(db.connection, {
    charterVersion: t('charter:version'),
    apply: flags.includes('--apply'),
  });
  console.log(formatCohortReport(report, t));
  console.log(JSON.stringify(report));
} catch (err) {
  log.error({ err }, 'staff command failed');
  console.error(t('staff:error.failed', { reason: errorMessage(err) }));
  exitCode = 1;
}
await db?.close();
process.exit(exitCode);
