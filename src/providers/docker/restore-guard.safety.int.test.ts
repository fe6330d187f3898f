import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../config/schema.ts';
import { BackupVerificationError, restoreVerified, writeChecksum } from '../../safety/verify-backup.ts';
import { dockerSkipReason, makeProject, removeEnvironment, removeTempDirs, tempDir, type TestProject } from '../../safety/testing/docker-env.ts';
import { topologyImages } from '../create-provider.ts';
import { DockerProvider } from './docker-provider.ts';

/**
 * Data safety (issue #11) against a real PostgreSQL 15: a backup (pg_dump, gzip, recorded SHA-256) that
 * is corrupted makes the restore stop before its destructive step: the database is not dropped and its
 * rows are all there. The intact backup goes through: drop, then restore, same rows.
 */
const skipReason = await dockerSkipReason();
afterAll(removeTempDirs);
const DB = 'restore_canary';

describe.skipIf(Boolean(skipReason))(`restore verifies the backup before dropping anything${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let project: TestProject;
  let provider: DockerProvider;
  let backup: string;

  const psql = async (sql: string, db = DB) => {
    const r = await provider.exec('postgres', ['psql', '-U', 'postgres', '-d', db, '-v', 'ON_ERROR_STOP=1', '-At', '-c', sql]);
    if (r.exitCode !== 0) throw new Error(`psql failed: ${r.stderr}`);
    return r.stdout.trim();
  };
  const rows = () => psql('SELECT count(*) || \':\' || sum(id) FROM executions');
  const dbExists = async () => (await psql(`SELECT count(*) FROM pg_database WHERE datname = '${DB}'`, 'postgres')) === '1';
  const drop = async () => {
    const r = await provider.exec('postgres', ['dropdb', '-U', 'postgres', '--force', DB]);
    if (r.exitCode !== 0) throw new Error(`dropdb failed: ${r.stderr}`);
  };

  beforeAll(async () => {
    project = await makeProject(`safety-rst-${process.pid}`);
    provider = new DockerProvider({ config: configSchema.parse(project.config), images: await topologyImages('offline'), projectDir: project.dir, imageSource: 'offline' });
    await provider.create();
    await provider.exec('postgres', ['createdb', '-U', 'postgres', DB]);
    await psql('CREATE TABLE executions (id int PRIMARY KEY, note text); INSERT INTO executions SELECT g, md5(g::text) FROM generate_series(1, 500) g');
    const dump = await provider.exec('postgres', ['pg_dump', '-U', 'postgres', '--inserts', '--no-owner', '--no-privileges', DB]);
    expect(dump.exitCode, dump.stderr).toBe(0);
    backup = join(await tempDir('prodlike-rst-'), `${DB}.sql.gz`);
    await writeFile(backup, gzipSync(Buffer.from(dump.stdout)));
    await writeChecksum(backup);
  }, 300_000);

  afterAll(async () => {
    await provider?.destroy().catch(() => undefined);
    if (project) await removeEnvironment(project.name);
  }, 120_000);

  const restore = (file: string) => restoreVerified(file, {
    destroy: drop,
    restore: async () => {
      // `psql -c` takes SQL only: drop pg_dump's psql meta-commands (\restrict/\unrestrict of 15.14+).
      const sql = gunzipSync(await readFile(file)).toString().split('\n').filter((l) => !l.startsWith('\\')).join('\n');
      await provider.exec('postgres', ['createdb', '-U', 'postgres', DB]);
      const r = await provider.exec('postgres', ['psql', '-U', 'postgres', '-d', DB, '-v', 'ON_ERROR_STOP=1', '-q', '-c', sql]);
      if (r.exitCode !== 0) throw new Error(`restore failed: ${r.stderr}`);
    },
  });

  it('a corrupted backup aborts before the drop: the database and its 500 rows are still there', async () => {
    const before = await rows();
    const corrupt = backup.replace(/\.sql\.gz$/, '-corrupt.sql.gz');
    const bytes = await readFile(backup);
    bytes[Math.floor(bytes.length / 2)]! ^= 0x5a;
    await writeFile(corrupt, bytes);
    await writeFile(`${corrupt}.sha256`, await readFile(`${backup}.sha256`, 'utf8'));
    const error = await restore(corrupt).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackupVerificationError);
    expect((error as Error).message).toMatch(/SHA-256 mismatch.*Nothing was dropped or restored/);
    expect(await dbExists()).toBe(true);
    expect(await rows()).toBe(before);
    expect(before).toBe(`500:${(500 * 501) / 2}`);
  }, 120_000);

  it('a missing backup aborts before the drop too', async () => {
    await expect(restore(`${backup}.missing`)).rejects.toThrow(/does not exist/);
    expect(await dbExists()).toBe(true);
  }, 60_000);

  it('the intact backup restores: dropped, recreated, same rows', async () => {
    const before = await rows();
    await psql('DELETE FROM executions WHERE id > 250');
    await restore(backup);
    expect(await rows()).toBe(before);
  }, 120_000);
});
