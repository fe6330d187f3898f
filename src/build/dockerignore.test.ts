import { describe, expect, it } from 'vitest';
import { parseDockerIgnore } from './dockerignore.ts';

describe('parseDockerIgnore', () => {
  it('leaves out matched files and everything under matched folders', () => {
    const ignore = parseDockerIgnore('# comment\nnode_modules\n*.log\n/dist/\n**/*.tmp\nsrc/?.bak\n');
    expect(ignore.unsupported).toBeUndefined();
    expect(ignore.ignores('node_modules/x/index.js')).toBe(true);
    expect(ignore.ignores('dist/backend.js')).toBe(true);
    expect(ignore.ignores('build.log')).toBe(true);
    expect(ignore.ignores('src/deep/a.tmp')).toBe(true);
    expect(ignore.ignores('a.tmp')).toBe(true);
    expect(ignore.ignores('src/a.bak')).toBe(true);
    expect(ignore.ignores('src/ab.bak')).toBe(false);
    expect(ignore.ignores('src/logs/app.ts')).toBe(false);
    expect(ignore.ignores('src/main.log.ts')).toBe(false);
    expect(ignore.ignores('Dockerfile')).toBe(false);
  });

  it('does not interpret a file with exceptions: every file counts', () => {
    const ignore = parseDockerIgnore('*.md\n!README.md\n');
    expect(ignore.unsupported).toMatch(/!README\.md/);
    expect(ignore.ignores('CHANGES.md')).toBe(false);
  });

  it('ignores nothing without a file', () => {
    expect(parseDockerIgnore(undefined).ignores('anything')).toBe(false);
  });
});
