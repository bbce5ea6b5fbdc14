import { randomUUID } from 'node:crypto';
import type { Connection } from 'mongoose';
import { type IdentityDoc, identityId, identityModel } from '../../models/identity.js';
import {
  type MatchingPointers,
  type PersonDoc,
  type PersonStatus,
  type Profile,
  personModel,
  type Role,
} from '../../models/person.js';
import { Lru } from '../db/lru.js';
import { isDuplicateKey } from '../errors.js';

/** How long an identity read is trusted without reading it again (see `known`). */
const IDENTITY_TTL_MS = 30_000;

/** An identity as read now: missing on first contact; its person missing if it was removed. */
export interface Lookup {
  identity: IdentityDoc | null;
  person: PersonDoc | null;
}

export interface Resolved {
  person: PersonDoc;
  identity: IdentityDoc;
  isNew: boolean;
}

/** Who is this, on which channel: people and their channel identities. */
export class PeopleService {
  private readonly people;
  private readonly identities;
  /**
   * identity id -> identity, kept a short while: an identity can be moved to another person (a
   * person going on in another channel), possibly by another process, so the cache expires.
   */
  private readonly known = new Lru<string, { doc: IdentityDoc; at: number }>(20_000);

  constructor(conn: Connection) {
    this.people = personModel(conn);
    this.identities = identityModel(conn);
  }

  /**
   * Who (channel, user id) is now, read only: the identity and its person, either of which may be
   * missing. `resolve` takes it, so a caller can read it while something else is on its way.
   */
  async lookup(channel: string, userId: string): Promise<Lookup> {
    const _id = identityId(channel, userId);
    let identity = this.cached(_id) ?? (await this.identities.findById(_id).lean<IdentityDoc>());
    let person = identity ? await this.people.findById(identity.personId).lean<PersonDoc>() : null;
    // Moved to someone else since this process kept it (a link code used in another process):
    // the person read now no longer lists it. Read it again rather than answer for the wrong one.
    if (identity && person?.identities && !person.identities.includes(_id)) {
      identity = await this.identities.findById(_id).lean<IdentityDoc>();
      person = identity ? await this.people.findById(identity.personId).lean<PersonDoc>() : null;
    }
    if (identity && person) this.known.set(_id, { doc: identity, at: Date.now() });
    else this.known.delete(_id);
    return { identity, person };
  }

  /**
   * The person behind (channel, user id), created on first contact. Two processes meeting the
   * same stranger at once create one identity: the loser's person is removed and the winner's used.
   * `found`: this identity's `lookup`, if the caller has made it.
   */
  async resolve(
    input: {
      channel: string;
      userId: string;
      conversation: Record<string, unknown>;
      defaultRole: Role;
      locale: string;
    },
    found?: Lookup,
  ): Promise<Resolved> {
    const { identity, person: known } = found ?? (await this.lookup(input.channel, input.userId));
    if (identity && known) {
      await this.touch(known, identity, input.conversation);
      return { person: known, identity, isNew: false };
    }
    const _id = identityId(input.channel, input.userId);
    const now = new Date();
    const person = await this.people.create({
      _id: randomUUID(),
      role: input.defaultRole,
      status: 'onboarding',
      locale: input.locale,
      profile: {},
      proactive: true,
      lastChannel: input.channel,
      identities: [_id],
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
      this.known.set(_id, { doc: fresh, at: Date.now() });
      return { person: person.toObject(), identity: fresh, isNew: true };
    } catch (err) {
      await this.people.deleteOne({ _id: person._id });
      if (!isDuplicateKey(err)) throw err;
      return this.resolve(input);
    }
  }

  private cached(_id: string): IdentityDoc | undefined {
    const hit = this.known.get(_id);
    if (hit && Date.now() - hit.at < IDENTITY_TTL_MS) return hit.doc;
    return undefined;
  }

  /**
   * A person who writes again is reachable again on that channel, from the conversation they
   * write in (a Direct Line client may open a new one for the same user), and that channel becomes
   * the one proactive messages go to. Written only when something changed.
   */
  private async touch(
    person: PersonDoc,
    identity: IdentityDoc,
    conversation: Record<string, unknown>,
  ): Promise<void> {
    const idOf = (ref: Record<string, unknown>) => (ref.conversation as { id?: unknown } | undefined)?.id;
    const moved = idOf(conversation) !== undefined && idOf(conversation) !== idOf(identity.conversation);
    if (identity.unreachable || moved) {
      await this.identities.updateOne(
        { _id: identity._id },
        { $set: { unreachable: false, ...(moved ? { conversation } : {}) } },
      );
      identity.unreachable = false;
      if (moved) identity.conversation = conversation;
    }
    if (person.lastChannel !== identity.channel) {
      await this.people.updateOne({ _id: person._id }, { $set: { lastChannel: identity.channel } });
      person.lastChannel = identity.channel;
    }
  }

  /** The channel said this identity cannot be written to (the user blocked the bot). */
  async markUnreachable(channel: string, userId: string): Promise<void> {
    const _id = identityId(channel, userId);
    await this.identities.updateOne({ _id }, { $set: { unreachable: true } });
    const known = this.known.get(_id);
    if (known) known.doc.unreachable = true;
  }

  /** Whether a person has told us anything: a consent decision, an answer, a finished onboarding. */
  async hasData(personId: string): Promise<boolean> {
    const person = await this.get(personId);
    if (!person) return false;
    return (
      person.status !== 'onboarding' ||
      Object.keys(person.profile ?? {}).length > 0 ||
      !!person.consents?.data_processing
    );
  }

  async identity(channel: string, userId: string): Promise<IdentityDoc | null> {
    return this.identities.findById(identityId(channel, userId)).lean<IdentityDoc>();
  }

  /**
   * Makes (channel, user id) an identity of `personId`, replacing whoever it belonged to: how a
   * person who started on one channel goes on in another.
   */
  async link(input: {
    personId: string;
    channel: string;
    userId: string;
    conversation: Record<string, unknown>;
  }): Promise<IdentityDoc> {
    const _id = identityId(input.channel, input.userId);
    const doc: IdentityDoc = {
      _id,
      channel: input.channel,
      userId: input.userId,
      personId: input.personId,
      conversation: input.conversation,
      unreachable: false,
      lastSeenAt: new Date(),
    };
    const previous = await this.identities.findById(_id).lean<IdentityDoc>();
    await this.identities.replaceOne({ _id }, doc, { upsert: true });
    this.known.set(_id, { doc, at: Date.now() });
    await this.people.updateOne(
      { _id: input.personId },
      { $set: { lastChannel: input.channel }, $addToSet: { identities: _id } },
    );
    if (previous && previous.personId !== input.personId) {
      await this.people.updateOne({ _id: previous.personId }, { $pull: { identities: _id } });
    }
    return doc;
  }

  /**
   * Where a proactive message to this person goes: the channel they used last, if it can still be
   * reached, else another of their identities that can.
   */
  async reachable(personId: string): Promise<IdentityDoc | undefined> {
    const person = await this.get(personId);
    // By `_id`, one by one: the embedded FerretDB would scan the collection for `{ personId }`.
    const identities = person?.identities
      ? (
          await Promise.all(person.identities.map((id) => this.identities.findById(id).lean<IdentityDoc>()))
        ).filter((i): i is IdentityDoc => i !== null && i.personId === personId)
      : await this.identities.find({ personId }).lean<IdentityDoc[]>();
    const open = identities.filter((i) => !i.unreachable);
    return open.find((i) => i.channel === person?.lastChannel) ?? open[0];
  }

  /** Where a person came from (a deep link's programme or campaign): the first one is kept. */
  async setOrigin(personId: string, origin: { programme?: string; campaign?: string }): Promise<void> {
    const person = await this.get(personId);
    const $set: Record<string, string> = {};
    if (origin.programme && !person?.programme) $set.programme = origin.programme;
    if (origin.campaign && !person?.campaign) $set.campaign = origin.campaign;
    if (Object.keys($set).length > 0) await this.people.updateOne({ _id: personId }, { $set });
  }

  async get(personId: string): Promise<PersonDoc | null> {
    return this.people.findById(personId).lean<PersonDoc>();
  }

  async saveProfile(personId: string, profile: Profile): Promise<void> {
    await this.people.updateOne({ _id: personId }, { $set: { profile } });
  }

  /**
   * Sets a status; with `from`, only if the person is still in that status (a stale "Reprendre"
   * must not revive a profile restarted meanwhile). Returns whether it changed.
   */
  async setStatus(personId: string, status: PersonStatus, from?: PersonStatus): Promise<boolean> {
    const filter = from ? { _id: personId, status: from } : { _id: personId };
    const r = await this.people.updateOne(filter, { $set: { status } });
    return r.matchedCount > 0;
  }

  /** A mentor proposed to the mentee: their current proposal, and one more in their history. */
  async proposedTo(menteeId: string, proposalId: string, mentorId: string): Promise<void> {
    await this.people.updateOne(
      { _id: menteeId },
      { $set: { 'matching.proposalId': proposalId }, $addToSet: { 'matching.proposed': mentorId } },
    );
  }

  /** The mentee passed this mentor: mentors like them are ranked a little lower from now on. */
  async passedOn(menteeId: string, mentorId: string): Promise<void> {
    await this.people.updateOne({ _id: menteeId }, { $addToSet: { 'matching.passed': mentorId } });
  }

  /** Sets some of the person's matching pointers (undefined removes one); not the history. */
  async setMatching(
    personId: string,
    patch: Partial<Omit<MatchingPointers, 'proposed' | 'passed'>>,
  ): Promise<void> {
    const $set: Record<string, unknown> = {};
    const $unset: Record<string, ''> = {};
    for (const [k, v] of Object.entries(patch)) {
      if (v === undefined) $unset[`matching.${k}`] = '';
      else $set[`matching.${k}`] = v;
    }
    await this.people.updateOne(
      { _id: personId },
      { ...(Object.keys($set).length ? { $set } : {}), ...(Object.keys($unset).length ? { $unset } : {}) },
    );
  }

  async setProactive(personId: string, proactive: boolean): Promise<void> {
    await this.people.updateOne({ _id: personId }, { $set: { proactive } });
  }

  /** Forgets a profile (a refused consent or a minor): only the status is kept. */
  async clearProfile(personId: string, status: PersonStatus): Promise<void> {
    await this.people.updateOne({ _id: personId }, { $set: { profile: {}, status } });
  }
}
