import { randomBytes } from 'node:crypto';
import type { Connection } from 'mongoose';
import { inboundMarkModel, mark } from '../../models/inbound-mark.js';
import { type LinkCodeDoc, linkCodeModel } from '../../models/link-code.js';

/** How long a code to go on in another channel stays valid. */
export const LINK_TTL_MS = 15 * 60_000;

export type Redeemed =
  | { status: 'ok'; personId: string }
  | { status: 'used'; personId: string }
  | { status: 'refused'; personId: string }
  | { status: 'expired' | 'unknown' };

/** One-time codes that carry a person from one channel to another (the web chat to Telegram). */
export class LinkService {
  private readonly codes;
  private readonly claims;

  constructor(
    private readonly conn: Connection,
    private readonly now: () => number = Date.now,
  ) {
    this.codes = linkCodeModel(conn);
    this.claims = inboundMarkModel(conn);
  }

  /** A new code for this person: 16 URL-safe characters (96 random bits), valid 15 minutes. */
  async create(personId: string): Promise<{ code: string; expiresAt: Date }> {
    const code = randomBytes(12).toString('base64url');
    const expiresAt = new Date(this.now() + LINK_TTL_MS);
    await this.codes.create({ _id: code, personId, expiresAt });
    return { code, expiresAt };
  }

  /**
   * Uses a code: it works once, within its 15 minutes, also when two processes try at once.
   * `allowed(personId)` may refuse it before it is used up (the code stays usable); `use(personId)`
   * does the linking, and a failure there gives the code back.
   */
  async redeem(
    code: string,
    allowed: (personId: string) => Promise<boolean>,
    use: (personId: string) => Promise<void>,
  ): Promise<Redeemed> {
    const doc = await this.codes.findById(code).lean<LinkCodeDoc>();
    if (!doc) return { status: 'unknown' };
    if (doc.expiresAt.getTime() <= this.now()) return { status: 'expired' };
    const claim = `link|${code}`;
    if ((await this.claims.exists({ _id: claim })) !== null)
      return { status: 'used', personId: doc.personId };
    if (!(await allowed(doc.personId))) return { status: 'refused', personId: doc.personId };
    if (!(await mark(this.conn, claim))) return { status: 'used', personId: doc.personId };
    try {
      await use(doc.personId);
    } catch (err) {
      await this.claims.deleteOne({ _id: claim });
      throw err;
    }
    return { status: 'ok', personId: doc.personId };
  }
}
