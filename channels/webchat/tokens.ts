import { createHmac, timingSafeEqual } from 'node:crypto';
import { Lru } from '../../bot/db/lru.js';

/** What a Direct Line token grants: one user, in one conversation, until `exp` (seconds). */
export interface TokenClaims {
  conversationId: string;
  userId: string;
  exp: number;
}

const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64url');

/**
 * Short-lived signed tokens (HMAC-SHA256), bound to a user and a conversation. Stateless, so any
 * process can check a token another one issued.
 */
export class TokenSigner {
  /**
   * Tokens whose signature was checked, with their claims: a client sends the same token with every
   * post and poll until it refreshes it (an HMAC per request was ~1 % of the app's CPU under load).
   * Only verified tokens get in; expiry is checked on every use.
   */
  private readonly verified = new Lru<string, TokenClaims>(20_000);

  constructor(
    private readonly key: string,
    private readonly ttlS: number,
    private readonly now: () => number = Date.now,
  ) {}

  get ttl(): number {
    return this.ttlS;
  }

  /** The seconds a token with these claims has left. */
  secondsLeft(claims: TokenClaims): number {
    return Math.max(0, claims.exp - Math.floor(this.now() / 1000));
  }

  issue(conversationId: string, userId: string): string {
    const claims: TokenClaims = { conversationId, userId, exp: Math.floor(this.now() / 1000) + this.ttlS };
    const body = b64(JSON.stringify(claims));
    return `${body}.${this.sign(body)}`;
  }

  /** The claims of a valid, unexpired token; undefined otherwise. */
  verify(token: string): TokenClaims | undefined {
    const known = this.verified.get(token);
    if (known) return known.exp * 1000 > this.now() ? known : undefined;
    const claims = this.check(token);
    if (claims) this.verified.set(token, claims);
    return claims;
  }

  /**
   * The claims of a token of ours that expired less than `graceS` ago (or has not expired): the
   * widget's way back into its conversation after the page slept or was closed for a while.
   */
  resumable(token: string, graceS: number): TokenClaims | undefined {
    return this.check(token, graceS);
  }

  private check(token: string, graceS = 0): TokenClaims | undefined {
    const [body, sig, extra] = token.split('.');
    if (!body || !sig || extra !== undefined) return undefined;
    const expected = Buffer.from(this.sign(body));
    const given = Buffer.from(sig);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
    try {
      const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as TokenClaims;
      if (typeof claims.exp !== 'number' || (claims.exp + graceS) * 1000 <= this.now()) return undefined;
      if (typeof claims.conversationId !== 'string' || typeof claims.userId !== 'string') return undefined;
      return claims;
    } catch {
      return undefined;
    }
  }

  private sign(body: string): string {
    return createHmac('sha256', this.key).update(`directline:${body}`).digest('base64url');
  }
}
