import { describe, expect, it } from 'vitest';
import { lineWriter } from './line-writer.ts';

const feed = async (chunks: (string | Buffer)[]) => {
  const lines: string[] = [];
  const w = lineWriter((l) => lines.push(l));
  for (const c of chunks) w.write(c);
  await new Promise<void>((resolve) => w.end(resolve));
  return lines;
};

describe('lineWriter', () => {
  it('joins a line cut between chunks and delivers the last line at the end', async () => {
    expect(await feed(['one\ntw', 'o\r\nthr', 'ee'])).toEqual(['one', 'two', 'three']);
  });

  it('keeps a UTF-8 character cut between two chunks whole', async () => {
    const bytes = Buffer.from('café ✔\n');
    expect(await feed([bytes.subarray(0, 4), bytes.subarray(4, 7), bytes.subarray(7)])).toEqual(['café ✔']);
  });
});
