import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../core/paths.ts';
import { DOCUMENTED_DEFAULTS } from './defaults.ts';

/**
 * Issue #16, "any application by configuration alone": the reference manifests' names live in ONE defaults
 * table (src/config/defaults.ts); every other source file reads them from the configuration. Comments count
 * too (they name the role, not the literal); test files are exempt.
 */
const SRC = join(PACKAGE_ROOT, 'src');
const DEFAULTS_FILE = join(SRC, 'config', 'defaults.ts');
const MANIFEST_NAMES = [
  'app-backend', 'app-frontend', 'saasit-executions',
  'backend-service', 'frontend-service', 'postgres-service', 'redis-service', 'minio-service',
  'minio-create-buckets', 'saasit-artifacts', 'saasit-backups', 'postgres-backup',
];
/** …and whatever else the table names (a dashed namespace or Service name added to it is fenced in too). */
const TABLE_NAMES = [
  ...Object.values(DOCUMENTED_DEFAULTS.topology).flatMap((r) => [r.namespace, r.service]),
  DOCUMENTED_DEFAULTS.executionsNamespace, DOCUMENTED_DEFAULTS.bucket, DOCUMENTED_DEFAULTS.backup.bucket, DOCUMENTED_DEFAULTS.backup.postgresCronJob,
].filter((n) => n.includes('-'));
const FORBIDDEN = [...new Set([...MANIFEST_NAMES, ...TABLE_NAMES])];

async function sourceFiles(): Promise<string[]> {
  const entries = await readdir(SRC, { recursive: true });
  return entries.filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts')).map((f) => join(SRC, f)).sort();
}

describe('no reference-manifest names in src/', () => {
  it('names them only in the defaults table', async () => {
    const files = await sourceFiles();
    expect(files).toContain(DEFAULTS_FILE);
    expect(files.length).toBeGreaterThan(100);
    const found: string[] = [];
    for (const file of files.filter((f) => f !== DEFAULTS_FILE)) {
      const lines = (await readFile(file, 'utf8')).split('\n');
      lines.forEach((line, i) => {
        for (const name of FORBIDDEN) if (line.includes(name)) found.push(`src/${relative(SRC, file)}:${i + 1}: ${name}`);
      });
    }
    expect(found, 'read the name from the configuration (resolveTopology, executions, objectStore) instead').toEqual([]);
  });
});
