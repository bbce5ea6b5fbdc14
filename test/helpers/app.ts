import { afterAll, vi } from 'vitest';
import { type App, startApp } from '../../bot/app.js';
import { loadConfig } from '../../bot/config.js';
import { Database } from '../../bot/db/database.js';
import { freshDbUri, silentLog } from './db.js';

export const TEST_SECRET = 'test-webchat-secret-0123456789';
export const TEST_SIGNING_KEY = 'test-signing-key-0123456789';

/** The whole app in this process, on a free port and a fresh database, stopped after the file. */
export async function startTestApp(
  env: Record<string, string> = {},
  opts: { dbUri?: string } = {},
): Promise<App> {
  const uri = opts.dbUri ?? freshDbUri('app');
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    MONGODB_URI: uri,
    WEBCHAT_SECRET: TEST_SECRET,
    TOKEN_SIGNING_KEY: TEST_SIGNING_KEY,
    WEBCHAT_ORIGINS: 'http://localhost:3978',
    ...env,
  });
  const db = await Database.connect(uri, silentLog);
  const app = await startApp(config, silentLog, { db });
  afterAll(async () => {
    await app.stop();
    if (!opts.dbUri) await db.connection.dropDatabase().catch(() => {});
    await db.close();
  });
  return app;
}

/**
 * Holds the app's turns until `release()` (a long queue, a flood wait, a call that hangs): each
 * then runs as usual, or, with `run: false`, ends without running. `restore()` releases and
 * puts the engine back.
 */
export function holdTurns(app: App, opts: { run?: boolean } = {}) {
  const engine = app.bot.engine;
  const original = engine.process.bind(engine);
  let release = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  const turns = vi.spyOn(engine, 'process').mockImplementation(async (...args) => {
    await held;
    return opts.run === false ? 'processed' : original(...args);
  });
  return {
    turns,
    release: () => release(),
    restore: () => {
      release();
      turns.mockRestore();
    },
  };
}
