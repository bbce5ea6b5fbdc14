import type { Request } from 'restify';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../bot/config.js';
import { ConfigError } from '../../bot/errors.js';
import { clientAddress } from '../../channels/webchat/http.js';

function problems(env: NodeJS.ProcessEnv): string {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  return '';
}

describe('config', () => {
  it('has working defaults', () => {
    const c = loadConfig({});
    expect(c.port).toBe(3978);
    expect(c.mongoUri).toBeUndefined();
    expect(c.publicUrl).toBe('http://localhost:3978');
    expect(c.webchat.origins).toEqual(['http://localhost:3978']);
    expect(c.telegram.token).toBeUndefined();
    expect(c.matching.deadlineMs).toBe(72 * 3600_000);
    expect(c.staff.slackChannel).toBeUndefined();
    expect(c.timeZone).toBe('Europe/Paris');
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ NODE_ENV: 'staging' }, 'NODE_ENV'],
    [{ MONGODB_URI: 'postgres://x' }, 'MONGODB_URI'],
    [{ PUBLIC_URL: 'not a url' }, 'PUBLIC_URL'],
    [{ NODE_ENV: 'production' }, 'WEBCHAT_SECRET'],
    [{ WEBCHAT_SECRET: 'short' }, 'WEBCHAT_SECRET'],
    [{ TELEGRAM_WEBHOOK_URL: 'https://x.example/t' }, 'TELEGRAM_WEBHOOK_SECRET'],
    [
      { TELEGRAM_WEBHOOK_URL: 'not a url', TELEGRAM_WEBHOOK_SECRET: 'a-valid-webhook-secret' },
      'TELEGRAM_WEBHOOK_URL',
    ],
    [
      { TELEGRAM_WEBHOOK_URL: 'https:/x.example/t', TELEGRAM_WEBHOOK_SECRET: 'a-valid-webhook-secret' },
      'TELEGRAM_WEBHOOK_URL',
    ],
    [
      {
        TELEGRAM_WEBHOOK_URL: 'https://bot:pw@x.example/t',
        TELEGRAM_WEBHOOK_SECRET: 'a-valid-webhook-secret',
      },
      'TELEGRAM_WEBHOOK_URL',
    ],
    // Telegram calls webhooks over HTTPS only, on ports 443, 80, 88 and 8443.
    [
      { TELEGRAM_WEBHOOK_URL: 'http://x.example/t', TELEGRAM_WEBHOOK_SECRET: 'a-valid-webhook-secret' },
      'TELEGRAM_WEBHOOK_URL',
    ],
    [
      { TELEGRAM_WEBHOOK_URL: 'https://x.example:3000/t', TELEGRAM_WEBHOOK_SECRET: 'a-valid-webhook-secret' },
      'TELEGRAM_WEBHOOK_URL',
    ],
    [
      { TELEGRAM_WEBHOOK_URL: 'https://x.example/t', TELEGRAM_WEBHOOK_SECRET: 'has spaces in it!!' },
      'TELEGRAM_WEBHOOK_SECRET',
    ],
    [{ TELEGRAM_MAX_PER_S: '0' }, 'TELEGRAM_MAX_PER_S'],
    [{ SLACK_BOT_TOKEN: 'xoxb-1' }, 'SLACK_SIGNING_SECRET'],
    [{ PROGRAMMES: 'Réseau Entreprendre' }, 'PROGRAMMES'],
    [{ PROGRAMMES: 're=' }, 'PROGRAMMES'],
    [{ PROPOSAL_DEADLINE_HOURS: '0' }, 'PROPOSAL_DEADLINE_HOURS'],
    [{ PROPOSAL_DEADLINE_HOURS: 'trois jours' }, 'PROPOSAL_DEADLINE_HOURS'],
    [{ STAFF_SLACK_CHANNEL: '#equipe' }, 'STAFF_SLACK_CHANNEL'],
    // Alerts would wait for a Slack channel that is off, for hours of retries.
    [{ STAFF_SLACK_CHANNEL: 'C0123ABCD' }, 'STAFF_SLACK_CHANNEL'],
    [{ TIMEZONE: 'Europe/Marseille' }, 'TIMEZONE'],
    // botframework-directlinejs refreshes every 15 minutes.
    [{ WEBCHAT_TOKEN_TTL_S: '600' }, 'WEBCHAT_TOKEN_TTL_S'],
  ])('rejects %o naming %s', (env, name) => {
    expect(problems(env)).toContain(`${name}:`);
  });

  it('gives Telegram the webhook URL as it was checked', () => {
    const c = loadConfig({
      TELEGRAM_WEBHOOK_URL: ' HTTPS://Tandem.Example.org:443/telegram/webhook ',
      TELEGRAM_WEBHOOK_SECRET: 'a-valid-webhook-secret',
    });
    expect(c.telegram.webhookUrl).toBe('https://tandem.example.org/telegram/webhook');
  });

  it('shows what was given, but never a secret or a URI (it may carry a password)', () => {
    expect(problems({ PORT: 'abc' })).toContain('(got "abc")');
    const secret = problems({ WEBCHAT_SECRET: 'my-real-secret' });
    expect(secret).toContain('WEBCHAT_SECRET:');
    expect(secret).not.toContain('my-real-secret');
    const uri = problems({ MONGODB_URI: 'postgres://tandem:hunter2@db.example/tandem' });
    expect(uri).toContain('MONGODB_URI:');
    expect(uri).not.toContain('hunter2');
  });

  it('takes an empty TANDEM_CACHE_DIR (as .env.example leaves it) for the default', () => {
    expect(loadConfig({ TANDEM_CACHE_DIR: '' }).cacheDir).toBe(loadConfig({}).cacheDir);
    expect(loadConfig({}).cacheDir).toMatch(/\.cache\/tandem$/);
  });

  it('reads the partner programmes as code=Label pairs', () => {
    const c = loadConfig({
      PROGRAMMES: 'reseau_entreprendre=Réseau Entreprendre Provence, nqt=NQT = Talents',
    });
    expect(c.programmes).toEqual([
      { code: 'reseau_entreprendre', label: 'Réseau Entreprendre Provence' },
      { code: 'nqt', label: 'NQT = Talents' },
    ]);
    expect(loadConfig({}).programmes).toBeUndefined();
  });

  it('reads lists and trims empty values', () => {
    const c = loadConfig({ WEBCHAT_ORIGINS: 'https://a.fr, https://b.fr', MONGODB_URI: '  ' });
    // The app's own origin (the demo page, the widget) first when PUBLIC_URL is set; not the local
    // default otherwise.
    expect(c.webchat.origins).toEqual(['https://a.fr', 'https://b.fr']);
    expect(loadConfig({}).webchat.origins).toEqual(['http://localhost:3978']);
    const hub = loadConfig({ PUBLIC_URL: 'https://tandem.example.org/', WEBCHAT_ORIGINS: 'https://a.fr' });
    expect(hub.webchat.origins).toEqual(['https://tandem.example.org', 'https://a.fr']);
    expect(c.mongoUri).toBeUndefined();
  });
});

describe('the client address behind proxies (TRUST_PROXY)', () => {
  const req = (forwarded?: string) =>
    ({
      socket: { remoteAddress: '10.0.0.9' },
      headers: forwarded === undefined ? {} : { 'x-forwarded-for': forwarded },
    }) as unknown as Request;

  it("is the connection's without a trusted proxy, whatever X-Forwarded-For says", () => {
    expect(clientAddress(req('1.2.3.4'), 0)).toBe('10.0.0.9');
  });

  it('is the address the outermost trusted proxy saw, not what the client wrote before it', () => {
    expect(clientAddress(req('203.0.113.7'), 1)).toBe('203.0.113.7');
    expect(clientAddress(req('6.6.6.6, 203.0.113.7'), 1)).toBe('203.0.113.7');
    expect(clientAddress(req('6.6.6.6, 203.0.113.7, 10.0.0.2'), 2)).toBe('203.0.113.7');
    expect(clientAddress(req(), 1)).toBe('10.0.0.9');
    expect(loadConfig({ TRUST_PROXY: '1' }).trustProxy).toBe(1);
  });
});
