import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError } from './errors.js';

const port = z.coerce
  .number({ error: 'expected a port number' })
  .int('expected a whole number')
  .min(0, 'expected a port number between 0 and 65535 (0: any free port)')
  .max(65535, 'expected a port number between 0 and 65535 (0: any free port)');

/** The ports Telegram sends webhooks to ('' is the default, 443). */
const TELEGRAM_WEBHOOK_PORTS = ['', '443', '80', '88', '8443'];

/**
 * What Telegram calls: an absolute https:// URL with a host, on one of its ports, and no user or
 * password (Telegram sends none; they would only end up in the log).
 */
function isTelegramWebhookUrl(value: string): boolean {
  if (!/^https:\/\/[^/]/i.test(value) || !URL.canParse(value)) return false;
  const url = new URL(value);
  return (
    url.protocol === 'https:' &&
    url.hostname !== '' &&
    url.username === '' &&
    url.password === '' &&
    TELEGRAM_WEBHOOK_PORTS.includes(url.port)
  );
}

const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

const csv = z
  .string()
  .default('')
  .transform((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );

const mongoUri = optionalString.refine((v) => v === undefined || /^mongodb(\+srv)?:\/\//.test(v), {
  message: 'expected a mongodb:// or mongodb+srv:// URI',
});

const secret = optionalString.refine((v) => v === undefined || v.length >= 16, {
  message: 'expected at least 16 characters',
});

/** Every environment variable Tandem reads, with its default. `.env.example` documents each. */
const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: port.default(3978),
  HOST: z.string().default('0.0.0.0'),
  PUBLIC_URL: optionalString.pipe(z.url({ error: 'expected an absolute URL' }).optional()),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  MONGODB_URI: mongoUri,
  DATA_DIR: z.string().default('./data'),
  // Empty (as .env.example leaves it) is the default, not the working directory.
  TANDEM_CACHE_DIR: optionalString.transform((v) => v ?? join(homedir(), '.cache', 'tandem')),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).max(120_000).default(10_000),
  WEBCHAT_SECRET: secret,
  TOKEN_SIGNING_KEY: secret,
  WEBCHAT_ORIGINS: csv,
  // Direct Line clients (botframework-directlinejs, so Web Chat) refresh their token every 15
  // minutes: a shorter life would expire it first.
  WEBCHAT_TOKEN_TTL_S: z.coerce
    .number()
    .int()
    .min(900, 'expected at least 900 (Direct Line clients refresh their token every 15 minutes)')
    .max(86_400)
    .default(1800),
  WEBCHAT_RESUME_DAYS: z.coerce.number().int().min(0).max(365).default(30),
  TRUST_PROXY: z.coerce.number().int().min(0).max(5).default(0),
  WEBCHAT_RECOVER_AFTER_S: z.coerce.number().int().min(1).max(600).default(20),
  PROGRAMMES: optionalString.pipe(
    z
      .string()
      .transform((v) =>
        v
          .split(',')
          .map((pair) => pair.trim())
          .filter(Boolean)
          .map((pair) => {
            const [code = '', ...label] = pair.split('=');
            return { code: code.trim(), label: label.join('=').trim() };
          }),
      )
      .refine((list) => list.every((p) => /^[a-z0-9_]{2,40}$/.test(p.code) && p.label.length > 0), {
        message: 'expected code=Label pairs separated by commas, codes of 2 to 40 of a-z, 0-9 and _',
      })
      .optional(),
  ),
  PRIVACY_NOTICE_URL: z
    .url({ error: 'expected an absolute URL' })
    .default('https://tandem.example.org/confidentialite'),
  TELEGRAM_BOT_TOKEN: optionalString,
  TELEGRAM_WEBHOOK_URL: optionalString
    .refine((v) => v === undefined || isTelegramWebhookUrl(v), {
      error:
        'expected the public https:// URL of /telegram/webhook, on port 443, 80, 88 or 8443 (the only ones Telegram calls)',
    })
    // As parsed (what was checked), for Telegram and the log.
    .transform((v) => (v === undefined ? undefined : new URL(v).href)),
  TELEGRAM_WEBHOOK_SECRET: optionalString.refine(
    (v) => v === undefined || /^[A-Za-z0-9_-]{16,256}$/.test(v),
    {
      message: 'expected 16 to 256 characters among A-Z, a-z, 0-9, _ and - (what Telegram accepts)',
    },
  ),
  TELEGRAM_API_ROOT: z.url().default('https://api.telegram.org'),
  TELEGRAM_MAX_PER_S: z.coerce.number().positive().max(1000).default(30),
  TELEGRAM_MAX_PER_CHAT_PER_S: z.coerce.number().positive().max(100).default(1),
  SLACK_BOT_TOKEN: optionalString,
  SLACK_SIGNING_SECRET: optionalString,
  SLACK_APP_TOKEN: optionalString,
  SLACK_API_URL: z.url().default('https://slack.com/api/'),
  SLACK_MAX_PER_CHANNEL_PER_S: z.coerce.number().positive().max(100).default(1),
  PROPOSAL_DEADLINE_HOURS: z.coerce
    .number()
    .positive()
    .max(24 * 30)
    .default(72),
  STAFF_SLACK_CHANNEL: optionalString.pipe(
    z
      .string()
      .regex(/^[CGD][A-Z0-9]{2,}$/, { error: 'expected a Slack channel id such as C0123ABCD' })
      .optional(),
  ),
  TIMEZONE: z
    .string()
    .default('Europe/Paris')
    .refine((tz) => isTimeZone(tz), { error: 'expected an IANA time zone such as Europe/Paris' }),
});

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('fr-FR', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export type Env = z.input<typeof schema>;

export interface Config {
  env: 'development' | 'production' | 'test';
  port: number;
  host: string;
  publicUrl: string;
  logLevel: string;
  /** Unset: the embedded FerretDB is started and its URI used. */
  mongoUri: string | undefined;
  dataDir: string;
  cacheDir: string;
  shutdownTimeoutMs: number;
  /** How many proxies (load balancers) in front of the app append to X-Forwarded-For: 0, none. */
  trustProxy: number;
  webchat: {
    secret: string;
    origins: string[];
    tokenTtlS: number;
    /** How long after its token expired the widget may still come back to its conversation. */
    resumeDays: number;
    recoverAfterS: number;
  };
  tokenSigningKey: string;
  privacyNoticeUrl: string;
  /** The partner programmes, when not the default list (bot/reference/lists.ts). */
  programmes?: Array<{ code: string; label: string }>;
  telegram: {
    token?: string;
    webhookUrl?: string;
    webhookSecret?: string;
    apiRoot: string;
    /** Outbound limits, messages a second: overall and per chat. */
    limits: { global: number; perChat: number };
  };
  slack: {
    botToken?: string;
    signingSecret?: string;
    appToken?: string;
    apiUrl: string;
    /** Messages a second in one conversation (Slack: about 1). */
    perChannel: number;
  };
  matching: {
    /** How long a mentor has to answer a request; one reminder at two thirds of it. */
    deadlineMs: number;
  };
  /** Where staff are told (a pair stuck, nobody left to propose): a Slack channel, when set. */
  staff: { slackChannel?: string };
  /** Dates shown to people (a deadline) are in this time zone. */
  timeZone: string;
}

/** Development-only defaults; production refuses to start without real secrets. */
const DEV_SECRET = 'tandem-development-secret-not-for-production';

/**
 * Parses the environment once, at start-up. Throws a ConfigError naming each bad variable;
 * the caller prints it and exits 1.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      const name = String(i.path[0] ?? '?');
      // What was given, to help: not for secrets, nor a URI that may carry a password.
      const hidden = /SECRET|TOKEN|KEY|PASSWORD|_URI$/.test(name);
      const got = env[name] === undefined || hidden ? '' : ` (got ${JSON.stringify(env[name])})`;
      return `${name}: ${i.message}${got}`;
    });
    throw new ConfigError(lines);
  }
  const e = parsed.data;
  const missingInProduction = (['WEBCHAT_SECRET', 'TOKEN_SIGNING_KEY'] as const).filter(
    (k) => e.NODE_ENV === 'production' && !e[k],
  );
  if (missingInProduction.length > 0) {
    throw new ConfigError(missingInProduction.map((k) => `${k}: required when NODE_ENV=production`));
  }
  if (e.STAFF_SLACK_CHANNEL && !e.SLACK_BOT_TOKEN) {
    throw new ConfigError([
      'STAFF_SLACK_CHANNEL: staff alerts are posted with the Slack app: set SLACK_BOT_TOKEN too, or leave it unset',
    ]);
  }
  if (e.TELEGRAM_WEBHOOK_URL && !e.TELEGRAM_WEBHOOK_SECRET) {
    throw new ConfigError(['TELEGRAM_WEBHOOK_SECRET: required when TELEGRAM_WEBHOOK_URL is set']);
  }
  if (e.SLACK_BOT_TOKEN && !e.SLACK_SIGNING_SECRET && !e.SLACK_APP_TOKEN) {
    throw new ConfigError([
      'SLACK_SIGNING_SECRET: required when SLACK_BOT_TOKEN is set (or SLACK_APP_TOKEN)',
    ]);
  }
  const publicUrl = (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/$/, '');
  return {
    env: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    publicUrl,
    logLevel: e.LOG_LEVEL,
    mongoUri: e.MONGODB_URI,
    dataDir: resolve(e.DATA_DIR),
    cacheDir: resolve(e.TANDEM_CACHE_DIR),
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    trustProxy: e.TRUST_PROXY,
    webchat: {
      secret: e.WEBCHAT_SECRET ?? DEV_SECRET,
      // The hub's demo page and the widget are served from PUBLIC_URL: its origin, when set, is
      // always allowed (unset, the local default only when no origin is listed).
      origins: [
        ...new Set([
          ...(e.PUBLIC_URL || e.WEBCHAT_ORIGINS.length === 0 ? [new URL(publicUrl).origin] : []),
          ...e.WEBCHAT_ORIGINS,
        ]),
      ],
      tokenTtlS: e.WEBCHAT_TOKEN_TTL_S,
      resumeDays: e.WEBCHAT_RESUME_DAYS,
      recoverAfterS: e.WEBCHAT_RECOVER_AFTER_S,
    },
    tokenSigningKey: e.TOKEN_SIGNING_KEY ?? DEV_SECRET,
    privacyNoticeUrl: e.PRIVACY_NOTICE_URL,
    programmes: e.PROGRAMMES,
    telegram: {
      token: e.TELEGRAM_BOT_TOKEN,
      webhookUrl: e.TELEGRAM_WEBHOOK_URL,
      webhookSecret: e.TELEGRAM_WEBHOOK_SECRET,
      apiRoot: e.TELEGRAM_API_ROOT,
      limits: { global: e.TELEGRAM_MAX_PER_S, perChat: e.TELEGRAM_MAX_PER_CHAT_PER_S },
    },
    slack: {
      botToken: e.SLACK_BOT_TOKEN,
      signingSecret: e.SLACK_SIGNING_SECRET,
      appToken: e.SLACK_APP_TOKEN,
      apiUrl: e.SLACK_API_URL,
      perChannel: e.SLACK_MAX_PER_CHANNEL_PER_S,
    },
    matching: { deadlineMs: Math.round(e.PROPOSAL_DEADLINE_HOURS * 3600_000) },
    staff: { slackChannel: e.STAFF_SLACK_CHANNEL },
    timeZone: e.TIMEZONE,
  };
}
