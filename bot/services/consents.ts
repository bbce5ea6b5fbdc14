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
   * twice (after a state conflict) records it once. `status`: the person's status that follows
   * from the decision, written with its copy on the person (one write, never one without the other).
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
    const at = new Date();
    try {
      await this.consents.create({
        _id: `${input.personId}|${input.kind}|${turnKey}`,
        ...rest,
        textHash: hashText(text),
        at,
      });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      return;
    }
    const summary: ConsentSummary = { decision: input.decision, version: input.version, at };
    await this.people.updateOne(
      { _id: input.personId },
      { $set: { [`consents.${input.kind}`]: summary, ...(status ? { status } : {}) } },
    );
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
