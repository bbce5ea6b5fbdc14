/**
 * The small error hierarchy of Tandem. Each error has a stable `code` (for logs and tests),
 * an optional `cause`, and `where` it happened.
 */
export class TandemError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly where?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A bad or missing environment variable: start-up stops, naming it. */
export class ConfigError extends TandemError {
  constructor(readonly problems: string[]) {
    super('config_invalid', `Invalid configuration:\n  ${problems.join('\n  ')}`, 'config');
  }
}

/** The database cannot be reached or started. */
export class DatabaseError extends TandemError {
  constructor(message: string, where: string, cause?: unknown) {
    super('database_unavailable', message, where, { cause });
  }
}

/** A compare-and-set lost its race: the caller reloads and retries. */
export class ConflictError extends TandemError {
  constructor(message: string, where: string) {
    super('conflict', message, where);
  }
}

/** A request that is not allowed (bad token, wrong conversation, bad origin). */
export class AccessError extends TandemError {
  constructor(
    code: string,
    message: string,
    readonly status: 401 | 403 | 404 | 429,
    where: string,
  ) {
    super(code, message, where);
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** MongoDB's duplicate-key error (E11000), kept by FerretDB too. */
export function isDuplicateKey(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 11000;
}

/** The channel says this person cannot be written to any more (e.g. they blocked the bot). */
export class UnreachableError extends TandemError {
  constructor(channel: string, cause?: unknown) {
    super('unreachable', `the person cannot be reached on ${channel}`, channel, { cause });
  }
}

/**
 * A send that failed after its first `sent` activities reached the person: whoever sends again
 * (the outbox, a turn's refused replies) sends only the rest, so nothing is said twice. `on`: the
 * identity they went to, when the sender chose it (a retry that goes elsewhere sends them all).
 */
export class PartlySentError extends TandemError {
  constructor(
    readonly sent: number,
    cause: unknown,
    readonly on?: string,
  ) {
    super('partly_sent', `${sent} sent, then: ${errorMessage(cause)}`, 'send', { cause });
  }

  /** `err`, or a PartlySentError around it when some activities were sent before it. */
  static after(sent: number, err: unknown): unknown {
    return sent > 0 && !(err instanceof UnreachableError) ? new PartlySentError(sent, err) : err;
  }
}

/**
 * How many activities of one send have reached the person so far (see PartlySentError), and on
 * which identity when the sender chose it.
 */
export interface SendProgress {
  sent: number;
  on?: string;
}
