import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readFile, stat, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { ProdlikeError } from '../core/errors.ts';

/**
 * The data-safety hook of every restore: before anything is dropped, the backup must exist, be
 * non-empty, match its recorded SHA-256 and (when gzip) decompress to the end. A corrupt, truncated,
 * unverifiable or missing backup throws BackupVerificationError, so the destructive step never starts.
 *
 * The recorded checksum is either given (`sha256`) or read from `<file>.sha256` in `sha256sum` format
 * (`<hex>  <name>`), which `writeChecksum` writes right after a backup is taken.
 */
export interface VerifiedBackup {
  file: string;
  bytes: number;
  sha256: string;
  gzip: boolean;
  /** Size after decompression (gzip only). */
  uncompressedBytes?: number;
  durationMs: number;
}

export interface VerifyBackupOptions {
  /** Expected SHA-256 (hex); default: read `<file>.sha256`. */
  sha256?: string;
  /** Checksum file to read instead of `<file>.sha256`. */
  checksumFile?: string;
  /** Check gzip integrity: default when the name ends in .gz or the file starts with the gzip magic. */
  gzip?: boolean;
}

export class BackupVerificationError extends ProdlikeError {
  constructor(file: string, problem: string, details: Record<string, unknown> = {}) {
    super('PROVIDER_FAILED', `Backup ${file} failed verification: ${problem}. Nothing was dropped or restored.`, {
      hint: 'Take a new backup (or pick another one) and restore from it; never restore a backup that does not verify.',
      details: { file, problem, ...details },
    });
  }
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

/** Writes `<file>.sha256` (sha256sum format) and returns the digest. */
export async function writeChecksum(file: string): Promise<string> {
  const digest = await sha256File(file);
  await writeFile(`${file}.sha256`, `${digest}  ${basename(file)}\n`);
  return digest;
}

async function recordedChecksum(file: string, options: VerifyBackupOptions): Promise<string> {
  if (options.sha256) return options.sha256.trim().toLowerCase();
  const checksumFile = options.checksumFile ?? `${file}.sha256`;
  let text: string;
  try {
    text = await readFile(checksumFile, 'utf8');
  } catch {
    throw new BackupVerificationError(file, `no recorded checksum (${checksumFile} is missing), so it cannot be verified`, { checksumFile });
  }
  const digest = /^\s*([0-9a-f]{64})\b/i.exec(text)?.[1];
  if (!digest) throw new BackupVerificationError(file, `${checksumFile} holds no SHA-256 digest`, { checksumFile });
  return digest.toLowerCase();
}

async function looksGzip(file: string): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(2), 0, 2, 0);
    return bytesRead === 2 && buffer[0] === 0x1f && buffer[1] === 0x8b;
  } finally {
    await handle.close();
  }
}

export async function verifyBackup(file: string, options: VerifyBackupOptions = {}): Promise<VerifiedBackup> {
  const started = performance.now();
  let size: number;
  try {
    const s = await stat(file);
    if (!s.isFile()) throw new BackupVerificationError(file, 'it is not a regular file');
    size = s.size;
  } catch (error) {
    if (error instanceof BackupVerificationError) throw error;
    throw new BackupVerificationError(file, 'the file does not exist');
  }
  if (size === 0) throw new BackupVerificationError(file, 'the file is empty');
  const expected = await recordedChecksum(file, options);
  const actual = await sha256File(file);
  if (actual !== expected) throw new BackupVerificationError(file, `SHA-256 mismatch (recorded ${expected}, file has ${actual})`, { expected, actual });
  const gzip = options.gzip ?? (file.endsWith('.gz') || (await looksGzip(file)));
  let uncompressedBytes: number | undefined;
  if (gzip) {
    let n = 0;
    try {
      await pipeline(createReadStream(file), createGunzip(), new Writable({ write(chunk: Buffer, _enc, done) { n += chunk.length; done(); } }));
    } catch (cause) {
      throw new BackupVerificationError(file, `gzip data is corrupt (${cause instanceof Error ? cause.message : String(cause)})`);
    }
    uncompressedBytes = n;
  }
  return { file, bytes: size, sha256: actual, gzip, ...(uncompressedBytes === undefined ? {} : { uncompressedBytes }), durationMs: performance.now() - started };
}

/**
 * The shape every restore follows: verify, then (only then) the destructive step, then the restore.
 * `destroy` (drop database, empty bucket…) is never called when verification fails.
 */
export async function restoreVerified<T>(backup: string, steps: { destroy: () => Promise<void>; restore: (verified: VerifiedBackup) => Promise<T> }, options: VerifyBackupOptions = {}): Promise<T> {
  const verified = await verifyBackup(backup, options);
  await steps.destroy();
  return steps.restore(verified);
}
