import { beforeAll, describe, expect, it } from 'vitest';
import { PeopleService } from '../../bot/services/people.js';
import { useTestDb } from '../helpers/db.js';

/** Two processes' views of the same people: each PeopleService keeps identities a short while. */
describe('people seen from two processes', () => {
  let a: PeopleService;
  let b: PeopleService;

  beforeAll(async () => {
    const conn = (await useTestDb('people')).connection;
    a = new PeopleService(conn);
    b = new PeopleService(conn);
  });

  const stranger = (service: PeopleService, userId: string) =>
    service.resolve({
      channel: 'telegram',
      userId,
      conversation: {},
      defaultRole: 'mentee',
      locale: 'fr',
    });

  it('finds the person an identity was linked to in another process, not the one it kept', async () => {
    // Process B meets a stranger on Telegram, and keeps the identity.
    const met = await stranger(b, 'tg-1');
    // The same person, known on the web chat, uses their link code in process A.
    const known = await stranger(a, 'web-1');
    await a.link({ personId: known.person._id, channel: 'telegram', userId: 'tg-1', conversation: {} });
    // Their next message reaches B, within the time B keeps identities.
    const seen = await b.lookup('telegram', 'tg-1');
    expect(seen.person?._id).toBe(known.person._id);
    expect(seen.person?._id).not.toBe(met.person._id);
    expect(seen.identity?.personId).toBe(known.person._id);
  });
});
