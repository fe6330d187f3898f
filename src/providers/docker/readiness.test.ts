import { describe, expect, it } from 'vitest';
import { isCredentialRejection } from './readiness.ts';

describe('isCredentialRejection', () => {
  it.each([
    ['PostgreSQL 28P01', Object.assign(new Error('password authentication failed for user "postgres"'), { code: '28P01' }), true],
    ['Redis WRONGPASS', new Error('WRONGPASS invalid username-password pair or user is disabled.'), true],
    ['Redis NOAUTH', new Error('NOAUTH Authentication required.'), true],
    ['connection refused', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }), false],
    ['PostgreSQL starting up', Object.assign(new Error('the database system is starting up'), { code: '57P03' }), false],
    ['not an error', 'WRONGPASS', false],
  ])('%s → %s', (_name, error, expected) => {
    expect(isCredentialRejection(error)).toBe(expected);
  });
});
