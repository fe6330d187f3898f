import { describe, expect, it } from 'vitest';
import { missingCapabilities, parseCapBnd } from './capabilities.ts';

describe('capability bounding set', () => {
  it('finds CAP_SYS_RESOURCE missing from this sandbox kind of host (000001fffeffffff)', () => {
    const status = 'Name:\tcat\nCapInh:\t0000000000000000\nCapBnd:\t000001fffeffffff\nCapAmb:\t0000000000000000\n';
    const bounding = parseCapBnd(status);
    expect(bounding).toBe(0x1fffeffffffn);
    expect(missingCapabilities(bounding!)).toEqual(['CAP_SYS_RESOURCE']);
  });

  it('finds nothing missing on a full host (000001ffffffffff)', () => {
    expect(missingCapabilities(parseCapBnd('CapBnd:\t000001ffffffffff\n')!)).toEqual([]);
  });

  it('lists every missing capability', () => {
    expect(missingCapabilities(0x1ffffffffffn & ~(1n << 21n) & ~(1n << 12n))).toEqual(['CAP_NET_ADMIN', 'CAP_SYS_ADMIN']);
  });

  it('returns undefined without a CapBnd line', () => {
    expect(parseCapBnd('Name: x\n')).toBeUndefined();
  });
});
