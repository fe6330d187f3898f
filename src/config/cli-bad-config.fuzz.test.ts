import { execa } from 'execa';
import fc from 'fast-check';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { removeTempDirs, tempDir } from '../safety/testing/temp-dirs.ts';
import { main } from '../cli/main.ts';
import { PACKAGE_ROOT } from '../core/paths.ts';
import { certainlyBadConfig } from '../safety/testing/config-arbitraries.ts';

/**
 * The CLI boundary: a bad prodlike.yaml ends in exit 2 with a message naming the key (or the YAML
 * position) and never a stack trace. 1000 generated bad configs go through the real `main()` in-process;
 * a few go through the real executable.
 */
const BIN = join(PACKAGE_ROOT, 'bin', 'prodlike.mjs');
const STACK = /^\s+at .+\(?.+:\d+:\d+\)?$/m;

async function runMain(argv: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const capture = (chunk: string | Uint8Array) => {
    out += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    return true;
  };
  const o = vi.spyOn(process.stdout, 'write').mockImplementation(capture as never);
  const e = vi.spyOn(process.stderr, 'write').mockImplementation(capture as never);
  try {
    const code = await main(['node', 'prodlike', ...argv]);
    return { code, out };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

afterAll(removeTempDirs);
describe('bad config at the CLI', () => {
  afterEach(() => vi.restoreAllMocks());

  it('1000 generated bad configs: exit 2, the key named, no stack trace (in-process main)', async () => {
    const dir = await tempDir('prodlike-badcfg-');
    const file = join(dir, 'prodlike.yaml');
    await fc.assert(fc.asyncProperty(certainlyBadConfig, async (c) => {
      await writeFile(file, c.text);
      for (const command of [['doctor'], ['status'], ['down'], ['gc', '--dry-run']]) {
        const { code, out } = await runMain([...command, '--config', file]);
        expect(code, `${command[0]} with ${c.label}: ${out}`).toBe(2);
        expect(out).toContain(c.mustName);
        expect(out).not.toMatch(STACK);
      }
    }), { numRuns: 1000 });
  }, 300_000);

  it.each([
    ['a typo', 'topology:\n  backend:\n    replics: 3\n', /topology\.backend\.replics: unknown key "replics"/],
    ['a wrong type', 'ports:\n  entry: "eighty"\n', /ports\.entry: .*expected number/],
    ['broken YAML', 'name: [unclosed\n', /prodlike\.yaml:\d+:\d+: /],
    ['an unresolved alias', 'name: *nope\n', /prodlike\.yaml:\d+/],
  ])('the real executable: %s gives exit 2 and no stack trace', async (_label, text, expected) => {
    const dir = await tempDir('prodlike-badcfg-');
    await writeFile(join(dir, 'prodlike.yaml'), text);
    const r = await execa('node', [BIN, 'status'], { cwd: dir, reject: false, env: { CI: 'true' }, timeout: 60_000 });
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stderr).toMatch(expected);
    expect(`${r.stdout}\n${r.stderr}`).not.toMatch(STACK);
  }, 60_000);
});
