#!/usr/bin/env node
// prodlike's executable: registers tsx so the TypeScript sources run directly (no build step), then
// hands over to the CLI. Exit codes are documented in README.md.
import { register } from 'tsx/esm/api';

register();
// Node ends with 13 when nothing is left to run while the command still waits (a promise nothing can settle):
// say so, with the documented internal-error code, instead of stopping mid-step without a word.
let finished = false;
process.on('exit', (code) => {
  if (finished || (code !== 13 && process.exitCode !== 13)) return;
  process.stderr.write('\n✖ prodlike stopped while waiting for something that can no longer happen (an internal error). Rerun with DEBUG=testcontainers* for more detail and report it with the output above.\n');
  process.exitCode = 70;
});
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv);
finished = true;
