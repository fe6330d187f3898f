import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { redact } from './redact.ts';

describe('redact', () => {
  it('removes each secret in raw, JSON, markup and URL-encoded forms', () => {
    const secret = 'p@ss"w<r>d&1';
    const text = [`raw ${secret}`, JSON.stringify({ password: secret }), `<td>p@ss&quot;w&lt;r&gt;d&amp;1</td>`, `?pw=${encodeURIComponent(secret)}`].join('\n');
    const out = redact(text, [secret]);
    expect(out).not.toContain('w<r>d');
    expect(out).not.toContain('w\\"');
    expect(out).not.toContain('&lt;r&gt;');
    expect(out).not.toContain(encodeURIComponent(secret));
    expect(out.match(/\*\*\*/g)).toHaveLength(4);
  });

  it('strips passwords from URLs even when they are not listed', () => {
    expect(redact('connecting to postgres://app:s3cr3t-Pass@127.0.0.1:5432/app failed')).toBe('connecting to postgres://app:***@127.0.0.1:5432/app failed');
    expect(redact('redis://default:abc@redis:6379 and http://example/path@x')).toBe('redis://default:***@redis:6379 and http://example/path@x');
  });

  it('replaces short secrets only as whole words and ignores empty ones', () => {
    expect(redact('key abc in abcdef', ['abc', '', undefined, null])).toBe('key *** in abcdef');
  });

  it('prefers the longest secret when one contains another', () => {
    expect(redact('token=supersecret-2', ['supersecret', 'supersecret-2'])).toBe('token=***');
  });

  it('never leaves a secret of 4+ characters in any text (property)', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 4, maxLength: 20 }), fc.string(), fc.string(), (secret, before, after) => {
        const out = redact(`${before}${secret}${after}`, [secret]);
        expect(out.includes(secret)).toBe(false);
      }),
    );
  });
});
