#!/usr/bin/env node
// prodlike's executable: registers tsx so the TypeScript sources run directly (no build step), then
// hands over to the CLI. Exit codes are documented in README.md.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv);
