import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Request } from 'restify';

/**
 * The raw body of a request on a route without a body parser (webhooks check a signature or a
 * secret on it first); undefined when it is larger than `max` bytes.
 */
export async function readRawBody(req: Request, max = 1_000_000): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > max) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Compares a presented secret (or signature) with the expected one in constant time. Both are
 * hashed first, so that not even their lengths leak.
 */
export function sameSecret(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = createHmac('sha256', 'compare').update(given).digest();
  const b = createHmac('sha256', 'compare').update(expected).digest();
  return timingSafeEqual(a, b);
}
