import { StringDecoder } from 'node:string_decoder';
import { Writable } from 'node:stream';

/**
 * A Writable that calls `onLine` once per complete line of what is written to it (UTF-8, `\n` or `\r\n`),
 * keeping a line cut between two chunks until its end arrives; the last line without a newline is
 * delivered when the stream ends. For process output and log streams read line by line.
 */
export function lineWriter(onLine: (line: string) => void): Writable {
  let pending = '';
  const decoder = new StringDecoder('utf8');
  const emit = (line: string) => onLine(line.endsWith('\r') ? line.slice(0, -1) : line);
  return new Writable({
    decodeStrings: true,
    write(chunk: Buffer, _encoding, callback) {
      const text = pending + decoder.write(chunk);
      const lines = text.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) emit(line);
      callback();
    },
    final(callback) {
      pending += decoder.end();
      if (pending) emit(pending);
      pending = '';
      callback();
    },
  });
}
