import { beforeAll, describe, expect, it } from 'vitest';
import { ConsentService } from '../../bot/services/consents.js';
import { consentModel } from '../../models/consent.js';
import { personModel } from '../../models/person.js';
import { useTestDb } from '../helpers/db.js';

/** The consent records and their copy on the person, when a turn runs twice. */
describe('recording a decision', () => {
  let consents: ConsentService;
  let people: ReturnType<typeof personModel>;
  let records: ReturnType<typeof consentModel>;

  beforeAll(async () => {
    const conn = (await useTestDb('consents')).connection;
    consents = new ConsentService(conn);
    people = personModel(conn);
    records = consentModel(conn);
  });

  const newPerson = async (_id: string) => {
    await people.create({
      _id,
      role: 'mentee',
      status: 'onboarding',
      locale: 'fr',
      profile: {},
      proactive: true,
    });
  };
  const charter = (personId: string, turnKey: string, decision: 'accepted' | 'refused' = 'accepted') =>
    consents.record({
      personId,
      kind: 'charter',
      decision,
      version: '2026-11',
      locale: 'fr',
      text: 'La charte',
      channel: 'webchat',
      turnKey,
      status: decision === 'accepted' ? 'active' : 'declined_charter',
    });

  it('writes the record once, and its copy on the person with the status that follows', async () => {
    await newPerson('once');
    await charter('once', 'webchat|m1');
    await charter('once', 'webchat|m1');
    expect(await records.countDocuments({ personId: 'once' })).toBe(1);
    const person = await people.findById('once').lean();
    expect(person?.status).toBe('active');
    expect(person?.consents?.charter).toMatchObject({ decision: 'accepted', version: '2026-11' });
  });

  it('a replay of a turn cut short after the record writes the copy and the status it missed', async () => {
    await newPerson('cut');
    // The first run stopped between its two writes: the record is there, the person unchanged.
    const at = new Date('2026-11-27T10:00:00Z');
    await records.create({
      _id: 'cut|charter|webchat|m1',
      personId: 'cut',
      kind: 'charter',
      decision: 'accepted',
      version: '2026-11',
      locale: 'fr',
      textHash: 'h',
      channel: 'webchat',
      at,
    });
    await charter('cut', 'webchat|m1');
    const person = await people.findById('cut').lean();
    expect(person?.status).toBe('active');
    expect(person?.consents?.charter).toEqual({ decision: 'accepted', version: '2026-11', at });
    expect(await records.countDocuments({ personId: 'cut' })).toBe(1);
  });

  it('a late replay does not undo a decision made since', async () => {
    await newPerson('later');
    await charter('later', 'webchat|m1', 'accepted');
    await charter('later', 'webchat|m2', 'refused');
    await charter('later', 'webchat|m1', 'accepted');
    const person = await people.findById('later').lean();
    expect(person?.status).toBe('declined_charter');
    expect(person?.consents?.charter?.decision).toBe('refused');
  });
});
