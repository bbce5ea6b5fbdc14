import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, REDACTED, safeUri } from '../../bot/log.js';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  return { log: createLogger({ level: 'info', destination }), lines };
}

describe('logging', () => {
  it('redacts personal data and secrets at every depth', () => {
    const { log, lines } = capture();
    const update = {
      update_id: 42,
      message: {
        from: { id: 7, first_name: 'Léa', last_name: 'Martin', username: 'lea_m' },
        contact: { phone_number: '+33612345678' },
        text: 'Je cherche un emploi, mon mail est lea@example.org',
        entities: [{ deep: { deeper: { email: 'lea@example.org', token: 'abc' } } }],
      },
      headers: { authorization: 'Bearer secret-token' },
    };
    log.info({ update }, 'inbound');
    const out = lines.join('');
    for (const secret of [
      'Léa',
      'Martin',
      'lea_m',
      '+33612345678',
      'lea@example.org',
      'secret-token',
      'abc',
    ]) {
      expect(out).not.toContain(secret);
    }
    const parsed = JSON.parse(out);
    expect(parsed.update.update_id).toBe(42);
    expect(parsed.update.message.from.id).toBe(7);
    expect(parsed.update.message.from.first_name).toBe(REDACTED);
    expect(parsed.update.message.entities[0].deep.deeper.email).toBe(REDACTED);
    expect(parsed.msg).toBe('inbound');
  });

  it('survives cycles and keeps error details', () => {
    const { log, lines } = capture();
    const a: Record<string, unknown> = { name: 'x' };
    a.self = a;
    log.error({ a, err: new Error('boom') }, 'failed');
    const parsed = JSON.parse(lines.join(''));
    expect(parsed.a.name).toBe(REDACTED);
    expect(parsed.err.message).toBe('boom');
  });

  it('hides the password in a connection string', () => {
    expect(safeUri('mongodb://tandem:s3cret@db:27017/x')).toBe('mongodb://tandem:***@db:27017/x');
  });
});
