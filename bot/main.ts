import { existsSync } from 'node:fs';
import { startApp } from './app.js';
import { loadConfig } from './config.js';
import { ConfigError, errorMessage } from './errors.js';
import { createLogger } from './log.js';

if (existsSync('.env')) process.loadEnvFile('.env');

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(`Tandem cannot start. ${err.message}\nSee .env.example for every variable.`);
    process.exit(1);
  }
  throw err;
}

const log = createLogger({
  level: config.logLevel,
  pretty: process.stdout.isTTY && config.env !== 'production',
});

try {
  const app = await startApp(config, log);
  let signals = 0;
  const shutdown = (signal: string) => {
    signals++;
    if (signals > 1) process.exit(1);
    log.info({ signal }, 'signal received');
    app.stop().then(
      () => process.exit(0),
      (err) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
} catch (err) {
  log.fatal({ err }, 'start-up failed');
  console.error(`Tandem cannot start: ${errorMessage(err)}`);
  process.exit(1);
}
