import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * Keys whose values are personal data or secrets. They are censored at any depth, because
 * pino's own `redact` paths only match fixed shapes and a payload can nest them anywhere
 * (a Telegram update has `message.from.first_name`, a Slack event `event.user_profile.real_name`).
 */
const SENSITIVE_KEYS = new Set(
  [
    'first_name',
    'firstName',
    'last_name',
    'lastName',
    'name',
    'real_name',
    'display_name',
    'fullName',
    'username',
    'phone',
    'phone_number',
    'phoneNumber',
    'email',
    'text',
    'expectations',
    'bio',
    'answer',
    'answers',
    'profile',
    'token',
    'access_token',
    'refresh_token',
    'authorization',
    'cookie',
    'password',
    'secret',
    'x-telegram-bot-api-secret-token',
    'x-slack-signature',
  ].map((k) => k.toLowerCase()),
);

export const REDACTED = '[redacted]';
const MAX_DEPTH = 12;

function scrub(value: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return value;
  if (seen.has(value) || depth > MAX_DEPTH) return '[…]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1, seen));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = SENSITIVE_KEYS.has(k.toLowerCase()) ? REDACTED : scrub(v, depth + 1, seen);
  }
  return out;
}

/** Returns a copy of a log object with every sensitive key censored, however deep. */
export function redact<T>(obj: T): T {
  return scrub(obj, 0, new WeakSet()) as T;
}

/** Hides the password of a connection string (mongodb://user:pass@host). */
export function safeUri(uri: string): string {
  return uri.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}

export interface LogOptions {
  level: string;
  pretty?: boolean;
  destination?: pino.DestinationStream;
}

/** JSON logs in production, pretty ones on a terminal. */
export function createLogger({ level, pretty, destination }: LogOptions): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { app: 'tandem' },
    formatters: { log: (obj) => redact(obj) },
    serializers: { err: pino.stdSerializers.err },
  };
  if (destination) return pino(options, destination);
  if (pretty) {
    return pino({
      ...options,
      transport: { target: 'pino-pretty', options: { colorize: true, ignore: 'pid,hostname,app' } },
    });
  }
  return pino(options);
}
