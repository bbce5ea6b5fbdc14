import { createHash } from 'node:crypto';
import type { Connection } from 'mongoose';
import {
  type ConsentDecision,
  type ConsentDoc,
  type ConsentKind,
  consentModel,
} from '../../models/consent.js';
import { isDuplicateKey } from '../errors.js';

export function hashText(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Consent to data processing and acceptance of the charter: two separate kinds of record. */
export class ConsentService {
  private readonly consents;

  constructor(conn: Connection) {
    this.consents = consentModel(conn);
  }

  /**
   * Records a decision. `turnKey` identifies the inbound message that carried it, so a turn run
   * twice (after a state conflict) records it once.
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
  }): Promise<void> {
    const { text, turnKey, ...rest } = input;
    try {
      await this.consents.create({
        _id: `${input.personId}|${input.kind}|${turnKey}`,
        ...rest,
        textHash: hashText(text),
        at: new Date(),
      });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
  }

  /** The latest decision of a kind, or null. */
  async latest(personId: string, kind: ConsentKind): Promise<ConsentDoc | null> {
    return this.consents.findOne({ personId, kind }).sort({ at: -1 }).lean<ConsentDoc>();
  }

  async history(personId: string): Promise<ConsentDoc[]> {
    return this.consents.find({ personId }).sort({ at: 1 }).lean<ConsentDoc[]>();
  }
}
