import { loadConfig } from '../config.js';
import { createLogger } from '../log.js';
import { ensureFerretBinary } from './ferretdb.js';

/** `npm run db:build`: builds the embedded FerretDB into the cache now rather than at first start. */
const config = loadConfig();
const log = createLogger({ level: 'info' });
const started = Date.now();
const binary = await ensureFerretBinary(config.cacheDir, log);
log.info({ binary, seconds: Math.round((Date.now() - started) / 1000) }, 'FerretDB binary ready');
