import { randomUUID } from 'node:crypto';
import type { Connection } from 'mongoose';
import { type IdentityDoc, identityId, identityModel } from '../../models/identity.js';
import {
  type PersonDoc,
  type PersonStatus,
  type Profile,
  personModel,
  type Role,
} from '../../models/person.js';
import { Lru } from '../db/lru.js';
import { isDuplicateKey } from '../errors.js';

export interface Resolved {
  person: PersonDoc;
  identity: IdentityDoc;
  isNew: boolean;
}

/** Who is this, on which channel: people and their channel identities. */
export class PeopleService {
  private readonly people;
  private readonly identities;
  /** identity id -> person id. Identities are only ever created, never moved: safe to cache. */
  private readonly known = new Lru<string, IdentityDoc>(20_000);

  constructor(conn: Connection) {
    this.people = personModel(conn);
    this.identities = identityModel(conn);
  }

  /**
   * The person behind (channel, user id), created on first contact. Two processes meeting the
   * same stranger at once create one identity: the loser's person is removed and the winner's used.
   */
  async resolve(input: {
    channel: string;
    userId: string;
    conversation: Record<string, unknown>;
    defaultRole: Role;
    locale: string;
  }): Promise<Resolved> {
    const _id = identityId(input.channel, input.userId);
    const identity = this.known.get(_id) ?? (await this.identities.findById(_id).lean<IdentityDoc>());
    if (identity) {
      const person = await this.people.findById(identity.personId).lean<PersonDoc>();
      if (person) {
        this.known.set(_id, identity);
        return { person, identity, isNew: false };
      }
      this.known.delete(_id);
    }
    const now = new Date();
    const person = await this.people.create({
      _id: randomUUID(),
      role: input.defaultRole,
      status: 'onboarding',
      locale: input.locale,
      profile: {},
      proactive: true,
      lastChannel: input.channel,
    });
    const fresh: IdentityDoc = {
      _id,
      channel: input.channel,
      userId: input.userId,
      personId: person._id,
      conversation: input.conversation,
      unreachable: false,
      lastSeenAt: now,
    };
    try {
      if (identity) await this.identities.replaceOne({ _id }, fresh);
      else await this.identities.create(fresh);
      this.known.set(_id, fresh);
      return { person: person.toObject(), identity: fresh, isNew: true };
    } catch (err) {
      await this.people.deleteOne({ _id: person._id });
      if (!isDuplicateKey(err)) throw err;
      return this.resolve(input);
    }
  }

  async get(personId: string): Promise<PersonDoc | null> {
    return this.people.findById(personId).lean<PersonDoc>();
  }

  async saveProfile(personId: string, profile: Profile): Promise<void> {
    await this.people.updateOne({ _id: personId }, { $set: { profile } });
  }

  async setStatus(personId: string, status: PersonStatus): Promise<void> {
    await this.people.updateOne({ _id: personId }, { $set: { status } });
  }

  async setProactive(personId: string, proactive: boolean): Promise<void> {
    await this.people.updateOne({ _id: personId }, { $set: { proactive } });
  }

  /** Forgets a profile (a refused consent or a minor): only the status is kept. */
  async clearProfile(personId: string, status: PersonStatus): Promise<void> {
    await this.people.updateOne({ _id: personId }, { $set: { profile: {}, status } });
  }
}
