import { createHash } from 'node:crypto';
import type { Connection } from 'mongoose';
import {
  type ConsentDecision,
  type ConsentDoc,
  type ConsentKind,
  consentModel,
} from '../../models/consent.js';
import { type ConsentSummary, type PersonDoc, type PersonStatus, personModel } from '../../models/person.js';
import { isDuplicateKey } from '../errors.js';

export function hashText(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Consent to data processing and acceptance of the charter: two separate kinds of record. */
export class ConsentService {
  private readonly consents;
  private readonly people;

  constructor(conn: Connection) {
    this.consents = consentModel(conn);
    this.people = personModel(conn);
  }

  /**
   * Records a decision. `turnKey` identifies the inbound message that carried it, so a turn run
   * twice (after a state conflict, or replayed after a crash) records it once. `status`: the
   * person's status that follows from the decision, written with its copy on the person (one
   * write). A turn that finds its record there already writes that copy and status again: it may
   * be the replay of a turn cut short between the two writes.
   */
  async record(input: {
    personId: string;
    kind: ConsentKind;
    decision: ConsentDecision;
    version: string;
    locale: string;
    text: string;
    channel: string;
    turnKey: string;
    status?: PersonStatus;
  }): Promise<void> {
    const { text, turnKey, status, ...rest } = input;
    const _id = `${input.personId}|${input.kind}|${turnKey}`;
    const field = `consents.${input.kind}`;
    let summary: ConsentSummary = { decision: input.decision, version: input.version, at: new Date() };
    let filter: Record<string, unknown> = { _id: input.personId };
    try {
      await this.consents.create({ _id, ...rest, textHash: hashText(text), at: summary.at });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      const recorded = await this.consents.findById(_id).lean<ConsentDoc>();
      if (!recorded) return;
      summary = { decision: recorded.decision, version: recorded.version, at: recorded.at };
      // Not over a decision made since (the person wrote again before the replay).
      filter = {
        ...filter,
        $or: [{ [field]: { $exists: false } }, { [`${field}.at`]: { $lte: recorded.at } }],
      };
    }
    await this.people.updateOne(filter, { $set: { [field]: summary, ...(status ? { status } : {}) } });
  }

  /** The latest decision of a kind, as copied on the person (no scan of the records). */
  latest(person: PersonDoc, kind: ConsentKind): ConsentSummary | undefined {
    return person.consents?.[kind];
  }

  /** Every record of a person, oldest first (a scan: for privacy requests and staff, not turns). */
  async history(personId: string): Promise<ConsentDoc[]> {
    return this.consents.find({ personId }).sort({ at: 1 }).lean<ConsentDoc[]>();
  }
}
