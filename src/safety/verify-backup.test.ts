import { randomBytes } from 'node:crypto';
import { readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTempDirs, tempDir } from './testing/temp-dirs.ts';
import { BackupVerificationError, restoreVerified, sha256File, verifyBackup, writeChecksum } from './verify-backup.ts';

/** A real pg_dump-like gzip file, its recorded checksum, then corruptions of every kind. */
async function backup(): Promise<string> {
  const dir = await tempDir('prodlike-backup-');
  const file = join(dir, 'ai_saas_db-20260101T000000.sql.gz');
  const sql = `-- PostgreSQL database dump\nCREATE TABLE executions (id int);\n${Array.from({ length: 2000 }, (_, i) => `INSERT INTO executions VALUES (${i});`).join('\n')}\n`;
  await writeFile(file, gzipSync(Buffer.concat([Buffer.from(sql), randomBytes(4096)])));
  await writeChecksum(file);
  return file;
}

afterAll(removeTempDirs);
describe('verifyBackup (data safety before any destructive restore step)', () => {
  it('accepts an intact backup: checksum matches and gzip decompresses to the end', async () => {
    const file = await backup();
    const v = await verifyBackup(file);
    expect(v.sha256).toBe(await sha256File(file));
    expect(v.gzip).toBe(true);
    expect(v.uncompressedBytes).toBeGreaterThan(v.bytes);
    expect(await readFile(`${file}.sha256`, 'utf8')).toMatch(/^[0-9a-f]{64} {2}ai_saas_db-.*\.sql\.gz\n$/);
  });

  it('refuses a backup with one flipped byte (checksum mismatch)', async () => {
    const file = await backup();
    const bytes = await readFile(file);
    bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
    await writeFile(file, bytes);
    await expect(verifyBackup(file)).rejects.toThrow(/SHA-256 mismatch .*Nothing was dropped or restored/);
  });

  it('refuses corrupt gzip even when the checksum was recorded after the corruption', async () => {
    const file = await backup();
    const bytes = await readFile(file);
    bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
    await writeFile(file, bytes);
    await writeChecksum(file); // e.g. a backup job that checksums a broken upload
    await expect(verifyBackup(file)).rejects.toThrow(/gzip data is corrupt/);
  });

  it('refuses a truncated backup', async () => {
    const file = await backup();
    const { size } = await import('node:fs/promises').then((fs) => fs.stat(file));
    await truncate(file, Math.floor(size / 3));
    await writeChecksum(file);
    await expect(verifyBackup(file)).rejects.toThrow(/gzip data is corrupt/);
  });

  it('refuses a missing backup, an empty one, and one without a recorded checksum', async () => {
    const file = await backup();
    await expect(verifyBackup(`${file}.nope`)).rejects.toThrow(/does not exist/);
    await rm(`${file}.sha256`);
    await expect(verifyBackup(file)).rejects.toThrow(/no recorded checksum/);
    await writeFile(file, '');
    await expect(verifyBackup(file, { sha256: '0'.repeat(64) })).rejects.toThrow(/empty/);
  });

  it('restoreVerified never calls the destructive step for a corrupt backup', async () => {
    const file = await backup();
    let dropped = false;
    const intact = await restoreVerified(file, { destroy: async () => { dropped = true; }, restore: async (v) => v.sha256 });
    expect(dropped).toBe(true);
    expect(intact).toHaveLength(64);
    dropped = false;
    const bytes = await readFile(file);
    bytes[bytes.length - 5]! ^= 0x01; // the gzip trailer (CRC/size)
    await writeFile(file, bytes);
    const error = await restoreVerified(file, { destroy: async () => { dropped = true; }, restore: async () => 'restored' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackupVerificationError);
    expect((error as BackupVerificationError).exitCode).toBe(3);
    expect(dropped).toBe(false);
  });
});
