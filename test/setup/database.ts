import { mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { ensureFerretBinary, startFerret } from '../../bot/db/ferretdb.js';
import { createLogger } from '../../bot/log.js';

declare module 'vitest' {
  export interface ProvidedContext {
    mongoUri: string;
  }
}

/**
 * The suite runs against MONGODB_URI when it is set, otherwise against its own embedded FerretDB
 * on a free port with a throwaway data folder.
 */
export default async function setup(project: TestProject) {
  if (process.env.MONGODB_URI) {
    project.provide('mongoUri', process.env.MONGODB_URI);
    return;
  }
  const log = createLogger({ level: 'warn' });
  const cacheDir = process.env.TANDEM_CACHE_DIR ?? join(homedir(), '.cache', 'tandem');
  const binary = await ensureFerretBinary(cacheDir, log);
  const dataDir = mkdtempSync(join(tmpdir(), 'tandem-test-db-'));
  const db = await startFerret({ binary, dataDir, log });
  project.provide('mongoUri', db.uri);
  return async () => {
    await db.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
}
