import { describe, expect, it } from 'vitest';
import { isBindError } from './bind-error.ts';

describe('isBindError', () => {
  it('recognises the engine allocator and the userland proxy wording, and nothing else', () => {
    expect(isBindError(new Error('(HTTP code 500) server error - driver failed programming external connectivity on endpoint x: Bind for 127.0.0.1:32776 failed: port is already allocated'))).toBe(true);
    expect(isBindError('driver failed programming external connectivity on endpoint w (2c1d): Error starting userland proxy: listen tcp4 127.0.0.1:32782: bind: address already in use')).toBe(true);
    expect(isBindError(new Error('No such image: prodlike.local/redis:7.0-bookworm'))).toBe(false);
    expect(isBindError('')).toBe(false);
  });
});
