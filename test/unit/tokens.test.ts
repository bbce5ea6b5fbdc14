import { describe, expect, it } from 'vitest';
import { TokenSigner } from '../../channels/webchat/tokens.js';

describe('Direct Line tokens', () => {
  const T0 = Date.parse('2026-11-27T09:00:00Z');

  it('grants the user and conversation they were issued for, until they expire, even once known', () => {
    let now = T0;
    const signer = new TokenSigner('key-0123456789', 60, () => now);
    const token = signer.issue('conv-1', 'dl_user');
    expect(signer.verify(token)).toEqual({
      conversationId: 'conv-1',
      userId: 'dl_user',
      exp: T0 / 1000 + 60,
    });
    now += 59_000;
    expect(signer.verify(token)?.conversationId).toBe('conv-1'); // already verified: served from memory
    now += 1_000;
    expect(signer.verify(token)).toBeUndefined();
    expect(signer.verify(token)).toBeUndefined();
  });

  it('refuses a token altered, signed with another key, or malformed, every time', () => {
    const signer = new TokenSigner('key-0123456789', 60, () => T0);
    const other = new TokenSigner('another-key-0123', 60, () => T0);
    const token = signer.issue('conv-1', 'dl_user');
    const [body = '', sig = ''] = token.split('.');
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    const forged = `${Buffer.from(JSON.stringify({ ...claims, conversationId: 'conv-2' })).toString('base64url')}.${sig}`;
    expect(signer.verify(token)).toBeDefined();
    for (const bad of [
      forged,
      other.issue('conv-1', 'dl_user'),
      `${token}.x`,
      body,
      '',
      `${body}.${sig.slice(1)}`,
    ]) {
      expect(signer.verify(bad)).toBeUndefined();
      expect(signer.verify(bad)).toBeUndefined();
    }
  });
});
