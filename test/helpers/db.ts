import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import mongoose from 'mongoose';
import { afterAll, inject } from 'vitest';
import { Database } from '../../bot/db/database.js';
import { type EmbeddedDb, ensureFerretBinary, startFerret } from '../../bot/db/ferretdb.js';
import { createLogger } from '../../bot/log.js';

export const silentLog = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

/** A URI to a fresh database of the test server, unique to the caller. */
export function freshDbUri(label = 'test'): string {
  const base = new URL(inject('mongoUri'));
  base.pathname = `/${label.replace(/\W/g, '_').slice(0, 20)}_${randomBytes(4).toString('hex')}`;
  return base.toString();
}

/** Connects to a fresh database, dropped after the file's tests. */
export async function useTestDb(label?: string): Promise<Database> {
  const db = await Database.connect(freshDbUri(label), silentLog);
  afterAll(async () => {
    await db.connection.dropDatabase().catch(() => {});
    await db.close();
  });
  return db;
}

/**
 * A command that reached the server: its name, collection, filter's keys and documents sent;
 * `sent` and `answered` are ticks of the connection's clock (see `monitoredConnection`).
 */
export interface SeenCommand {
  name: string;
  collection: string;
  filter: string;
  docs: number;
  sent: number;
  answered?: number;
}

/**
 * A connection to a fresh database that records every command it sends (`commands`, which a test
 * may empty), for tests that say what reaches the server. `tick()` reads a clock that moves at
 * each command sent or answered, and at each tick: what happened before what. `close` drops the
 * database.
 */
export async function monitoredConnection(label: string) {
  const conn = await mongoose.createConnection(freshDbUri(label), { monitorCommands: true }).asPromise();
  const commands: SeenCommand[] = [];
  let clock = 0;
  const tick = () => ++clock;
  const byRequest = new Map<number, SeenCommand>();
  const answered = (e: { requestId: number }) => {
    const seen = byRequest.get(e.requestId);
    if (seen) seen.answered = tick();
    byRequest.delete(e.requestId);
  };
  conn.getClient().on('commandSucceeded', answered);
  conn.getClient().on('commandFailed', answered);
  conn.getClient().on('commandStarted', (e) => {
    const c = e.command as Record<string, unknown>;
    const list = c.documents ?? c.updates ?? c.deletes;
    const filter = (c.filter ?? c.query ?? {}) as Record<string, unknown>;
    const seen: SeenCommand = {
      name: e.commandName,
      collection: String(c[e.commandName]),
      filter: Object.keys(filter).join(','),
      docs: Array.isArray(list) ? list.length : 1,
      sent: tick(),
    };
    byRequest.set(e.requestId, seen);
    commands.push(seen);
  });
  const close = async () => {
    await conn.dropDatabase().catch(() => {});
    await conn.close();
  };
  return { conn, commands, tick, close };
}

/**
 * An embedded FerretDB of its own, in a throwaway data folder, for tests of the server itself;
 * `stop` stops it and removes the folder.
 */
export async function throwawayFerret(label: string): Promise<{
  server: EmbeddedDb;
  dataDir: string;
  cacheDir: string;
  stop(): Promise<void>;
}> {
  const dataDir = mkdtempSync(join(tmpdir(), `tandem-${label}-`));
  const cacheDir = process.env.TANDEM_CACHE_DIR ?? join(homedir(), '.cache', 'tandem');
  const server = await startFerret({
    binary: await ensureFerretBinary(cacheDir, silentLog),
    dataDir,
    log: silentLog,
  });
  return {
    server,
    dataDir,
    cacheDir,
    async stop() {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
