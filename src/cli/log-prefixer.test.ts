import { describe, expect, it } from 'vitest';
import { LogPrefixer } from './log-prefixer.ts';

describe('LogPrefixer', () => {
  it('prefixes each line with its source, padded to the longest source seen so far, no colour on a pipe', () => {
    const p = new LogPrefixer({ colour: false });
    expect(p.format({ source: 'postgres-0/postgres', text: 'ready' })).toBe('postgres-0/postgres | ready');
    expect(p.format({ source: 'redis-0/redis', text: 'ok' })).toBe('redis-0/redis       | ok');
  });

  it('gives each source its own colour, the same on every line', () => {
    const p = new LogPrefixer({ colour: true });
    const a1 = p.format({ source: 'prodlike-x-backend-0', text: 'one' });
    const b = p.format({ source: 'prodlike-x-backend-1', text: 'two' });
    const a2 = p.format({ source: 'prodlike-x-backend-0', text: 'three' });
    const colourOf = (s: string) => (s.startsWith('\x1b[') ? s.slice(2, s.indexOf('m')) : undefined);
    expect(colourOf(a1)).toBeDefined();
    expect(colourOf(a1)).toBe(colourOf(a2));
    expect(colourOf(a1)).not.toBe(colourOf(b));
    expect(a2.endsWith('\x1b[0m three')).toBe(true);
  });

  it('colours only a terminal without NO_COLOR', () => {
    expect(LogPrefixer.colourFor({ isTTY: true }, {})).toBe(true);
    expect(LogPrefixer.colourFor({ isTTY: false }, {})).toBe(false);
    expect(LogPrefixer.colourFor({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
  });
});
