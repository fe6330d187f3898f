import type { LogLine } from '../providers/provider.ts';

/** Foreground colours given to sources in the order they first appear (as `docker compose logs` does). */
const COLOURS = [36, 33, 32, 35, 34, 96, 93, 92, 95, 94];

/**
 * `prodlike logs` lines: `<source> | <text>`, sources padded to the longest seen so far so the texts line
 * up, each source in its own colour when `colour` is set (stdout is a terminal and NO_COLOR is unset).
 */
export class LogPrefixer {
  readonly #colour: boolean;
  readonly #colours = new Map<string, number>();
  #width = 0;

  constructor(options: { colour: boolean }) {
    this.#colour = options.colour;
  }

  /** Whether lines to `out` are coloured: a terminal, and no NO_COLOR (https://no-color.org). */
  static colourFor(out: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
    return Boolean(out.isTTY) && !env.NO_COLOR && env.TERM !== 'dumb';
  }

  format(line: LogLine): string {
    this.#width = Math.max(this.#width, line.source.length);
    const prefix = `${line.source.padEnd(this.#width)} |`;
    if (!this.#colour) return `${prefix} ${line.text}`;
    let colour = this.#colours.get(line.source);
    if (colour === undefined) {
      colour = COLOURS[this.#colours.size % COLOURS.length] ?? 36;
      this.#colours.set(line.source, colour);
    }
    return `\x1b[${colour}m${prefix}\x1b[0m ${line.text}`;
  }
}
