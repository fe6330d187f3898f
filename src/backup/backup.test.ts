import { describe, expect, it } from 'vitest';
import { dataVolume, mcEnv, shq } from './common.ts';
import { SEED_PROFILES, seedRows, worstCaseInterval } from './pg-dump.ts';
import { recoveryTargetTime, walArchiveSettings } from './wal-archive.ts';

describe('backup helpers', () => {
  it('derives the worst-case RPO from a backup schedule', () => {
    expect(worstCaseInterval('0 2 * * *')).toBe(24 * 3600_000); // document 001's daily CronJob
    expect(worstCaseInterval('*/15 * * * *')).toBe(15 * 60_000);
    expect(worstCaseInterval('0 2 * * 1')).toBe(7 * 24 * 3600_000);
  });

  it('writes recovery_target_time in UTC with microseconds', () => {
    expect(recoveryTargetTime(Date.UTC(2026, 10, 22, 5, 18, 30, 71) + 0.24)).toBe('2026-11-22 05:18:30.071240+00');
    expect(recoveryTargetTime(Date.UTC(2026, 0, 1))).toBe('2026-01-01 00:00:00.000000+00');
  });

  it('archives atomically and idempotently, with archive_timeout bounding the unarchived WAL', () => {
    const s = walArchiveSettings({ archiveTimeoutSeconds: 60 });
    expect(s).toMatchObject({ wal_level: 'replica', archive_mode: 'on', archive_timeout: '60s' });
    // an existing identical segment is success (a retry after a crash), a different one is a failure
    expect(s.archive_command).toContain('cmp -s %p /var/lib/postgresql/data/wal-archive/%f');
    expect(s.archive_command).toMatch(/cp %p \S+\/wal-tmp\/%f && mv \S+\/wal-tmp\/%f \S+\/wal-archive\/%f/);
  });

  it('names volumes like the topology and keeps MinIO credentials out of argv', () => {
    expect(dataVolume('dev', 'postgres')).toBe('prodlike-dev-postgres-data');
    expect(mcEnv({ postgresPassword: 'p', redisPassword: 'r', minioAccessKey: 'ak', minioSecretKey: 's/k' }, 'minio-service:9000')).toEqual({ MC_HOST_backup: 'http://ak:s%2Fk@minio-service:9000' });
    expect(shq("it's")).toBe(`'it'\\''s'`);
  });
});

describe('seedRows', () => {
  it('is the ci profile by default and the release profile on request', () => {
    expect(seedRows({})).toBe(SEED_PROFILES.ci);
    expect(seedRows({ PRODLIKE_SEED_PROFILE: 'release' })).toBe(SEED_PROFILES.release);
  });
  it('takes PRODLIKE_SEED_ROWS over the profile', () => {
    expect(seedRows({ PRODLIKE_SEED_PROFILE: 'release', PRODLIKE_SEED_ROWS: '500' })).toBe(500);
  });
  it('names the variable and the allowed values when they are wrong', () => {
    expect(() => seedRows({ PRODLIKE_SEED_ROWS: '1e3x' })).toThrow(/PRODLIKE_SEED_ROWS must be a positive integer, got "1e3x"/);
    expect(() => seedRows({ PRODLIKE_SEED_PROFILE: 'huge' })).toThrow(/PRODLIKE_SEED_PROFILE must be one of ci, release, got "huge"/);
    expect(() => seedRows({ PRODLIKE_SEED_PROFILE: 'toString' })).toThrow(/must be one of/);
  });
});
