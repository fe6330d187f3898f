import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureInotifyLimits } from './inotify-limits.ts';

let dir: string;
const fakeProc = async (instances: number, watches: number) => {
  dir = await mkdtemp(join(tmpdir(), 'prodlike-inotify-'));
  await writeFile(join(dir, 'max_user_instances'), `${instances}\n`);
  await writeFile(join(dir, 'max_user_watches'), `${watches}\n`);
  return dir;
};
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('ensureInotifyLimits', () => {
  it('raises low limits as root, never lowers a higher one', async () => {
    const procDir = await fakeProc(128, 1_048_576);
    const r = await ensureInotifyLimits({ procDir, root: true });
    expect(r.raised).toEqual(['max_user_instances']);
    expect(r.low).toEqual([]);
    expect(r.limits.max_user_instances).toEqual({ before: 128, after: 512 });
    expect(await readFile(join(procDir, 'max_user_watches'), 'utf8')).toBe('1048576\n');
  });

  it('reports what is low without root and writes nothing', async () => {
    const procDir = await fakeProc(128, 8192);
    const r = await ensureInotifyLimits({ procDir, root: false });
    expect(r.low).toEqual(['max_user_instances', 'max_user_watches']);
    expect(await readFile(join(procDir, 'max_user_instances'), 'utf8')).toBe('128\n');
  });
});
