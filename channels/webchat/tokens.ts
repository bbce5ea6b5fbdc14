import { createHmac, timingSafeEqual } from 'node:crypto';

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
  constructor(
    private readonly key: string,
    private readonly ttlS: number,
    private readonly now: () => number = Date.now,
  ) {}

  get ttl(): number {
    return this.ttlS;
  }

  issue(conversationId: string, userId: string): string {
    const claims: TokenClaims = { conversationId, userId, exp: Math.floor(this.now() / 1000) + this.ttlS };
    const body = b64(JSON.stringify(claims));
    return `${body}.${this.sign(body)}`;
  }

  /** The claims of a valid, unexpired token; undefined otherwise. */
  verify(token: string): TokenClaims | undefined {
    const [body, sig, extra] = token.split('.');
    if (!body || !sig || extra !== undefined) return undefined;
    const expected = Buffer.from(this.sign(body));
    const given = Buffer.from(sig);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
    try {
      const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as TokenClaims;
      if (typeof claims.exp !== 'number' || claims.exp * 1000 <= this.now()) return undefined;
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
