import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readStamp, writeStamp } from './image-builder.ts';
import { inputsHash } from './inputs-hash.ts';

describe('cache stamps', () => {
  it('hashes the same inputs to the same value, and changes with any file, version or base image', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'prodlike-hash-'));
    await mkdir(join(dir, 'sub'));
    await writeFile(join(dir, 'build.sh'), 'echo one');
    await writeFile(join(dir, 'sub', 'entry.sh'), 'exec x');
    const a = await inputsHash({ paths: [dir], extra: { tag: 't:1', base: 'sha256:1' } });
    expect(await inputsHash({ paths: [dir], extra: { base: 'sha256:1', tag: 't:1' } })).toBe(a);
    expect(await inputsHash({ paths: [dir], extra: { tag: 't:2', base: 'sha256:1' } })).not.toBe(a);
    expect(await inputsHash({ paths: [dir], extra: { tag: 't:1', base: 'sha256:2' } })).not.toBe(a);
    await writeFile(join(dir, 'sub', 'entry.sh'), 'exec y');
    expect(await inputsHash({ paths: [dir], extra: { tag: 't:1', base: 'sha256:1' } })).not.toBe(a);
  });

  it('ignores build logs and node_modules', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'prodlike-hash-'));
    await writeFile(join(dir, 'build.sh'), 'echo one');
    const a = await inputsHash({ paths: [dir] });
    await writeFile(join(dir, 'build.log'), 'noise');
    await mkdir(join(dir, 'node_modules'));
    await writeFile(join(dir, 'node_modules', 'x.js'), 'noise');
    expect(await inputsHash({ paths: [dir] })).toBe(a);
  });

  it('round-trips stamps and tolerates a missing or corrupt one', async () => {
    const cache = await mkdtemp(join(tmpdir(), 'prodlike-stamp-'));
    expect(await readStamp(cache, 'smoke-postgres')).toBeUndefined();
    await writeStamp(cache, 'smoke-postgres', { imageId: 'sha256:1' });
    expect(await readStamp(cache, 'smoke-postgres')).toEqual({ imageId: 'sha256:1' });
    await writeFile(join(cache, 'stamps', 'broken.json'), '{');
    expect(await readStamp(cache, 'broken')).toBeUndefined();
  });
});
