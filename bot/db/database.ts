import { setTimeout as sleep } from 'node:timers/promises';
import mongoose, { type Connection } from 'mongoose';
import type { Config } from '../config.js';
import { errorMessage } from '../errors.js';
import { type Logger, safeUri } from '../log.js';
import { type EmbeddedDb, ensureFerretBinary, runningFerret, startFerret } from './ferretdb.js';

export interface Readiness {
  ready: boolean;
  reason?: string;
}

/**
 * The one MongoDB connection of the process. It connects in the background and keeps retrying,
 * so the HTTP server can start and /readyz can say why the database is not there yet.
 */
export class Database {
  readonly connection: Connection;
  private lastError = 'connecting';
  private stopped = false;
  private embedded?: EmbeddedDb;
  private connecting?: Promise<void>;

  private constructor(
    private readonly uri: string,
    private readonly log: Logger,
  ) {
    this.connection = mongoose.createConnection();
    this.connection.on('disconnected', () => {
      if (!this.stopped) this.lastError = 'disconnected from the database';
    });
  }

  /**
   * Uses MONGODB_URI, or builds (once) and starts the embedded FerretDB. `attach`: a short-lived
   * process (the staff command) uses the embedded FerretDB the app already runs on this data
   * directory, if any; it lives as long as the app's.
   */
  static async open(config: Config, log: Logger, opts: { attach?: boolean } = {}): Promise<Database> {
    let embedded: EmbeddedDb | undefined;
    let uri = config.mongoUri ?? (opts.attach ? await runningFerret(config.dataDir) : undefined);
    if (!uri) {
      const binary = await ensureFerretBinary(config.cacheDir, log);
      embedded = await startFerret({ binary, dataDir: config.dataDir, log });
      uri = embedded.uri;
    }
    const db = new Database(uri, log);
    db.embedded = embedded;
    db.connecting = db.connectWithRetry();
    return db;
  }

  /** For tests: a database on a given URI, connected before it returns. */
  static async connect(uri: string, log: Logger): Promise<Database> {
    const db = new Database(uri, log);
    db.connecting = db.connectWithRetry();
    await db.connecting;
    return db;
  }

  private async connectWithRetry(): Promise<void> {
    let delay = 500;
    while (!this.stopped) {
      try {
        // Nothing may wait forever: a stuck operation fails the turn (the user is told, the
        // per-person queue moves on) instead of holding that person's queue for good.
        await this.connection.openUri(this.uri, {
          serverSelectionTimeoutMS: 3000,
          maxPoolSize: 20,
          waitQueueTimeoutMS: 10_000,
          socketTimeoutMS: 30_000,
        });
        this.lastError = '';
        this.log.info({ uri: safeUri(this.uri) }, 'database connected');
        return;
      } catch (err) {
        this.lastError = errorMessage(err);
        this.log.warn(
          { uri: safeUri(this.uri), err: this.lastError, retryInMs: delay },
          'database not reachable',
        );
        await sleep(delay);
        delay = Math.min(delay * 2, 10_000);
      }
    }
  }

  /** Resolves once connected (never rejects: it retries until stopped). */
  async whenConnected(): Promise<void> {
    await this.connecting;
  }

  async readiness(): Promise<Readiness> {
    if (this.connection.readyState !== 1 || !this.connection.db) {
      return { ready: false, reason: `database: ${this.lastError || 'not connected'}` };
    }
    try {
      await Promise.race([
        this.connection.db.admin().ping(),
        sleep(2000).then(() => {
          throw new Error('ping timed out after 2 s');
        }),
      ]);
      return { ready: true };
    } catch (err) {
      return { ready: false, reason: `database: ${errorMessage(err)}` };
    }
  }

  async close(): Promise<void> {
    this.stopped = true;
    await this.connection.close(true).catch(() => {});
    await this.embedded?.stop();
  }
}
