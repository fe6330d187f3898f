import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { EXIT_CODES } from '../../core/errors.ts';
import { PACKAGE_ROOT } from '../../core/paths.ts';
import { act, type CliContext } from '../context.ts';
import { jsonSchemas } from './json-schemas.ts';

/** `prodlike schema`. */
export function registerSchema(program: Command, ctx: CliContext): void {
  program
    .command('schema')
    .description('Print the JSON schemas of prodlike.yaml and the targets file (for editors).')
    .option('--write', 'write prodlike.schema.json and targets.schema.json at the package root')
    .action(act(ctx, async (opts: { write?: boolean }) => {
      const schemas = jsonSchemas();
      if (opts.write) {
        for (const [file, schema] of Object.entries(schemas)) await writeFile(join(PACKAGE_ROOT, file), `${JSON.stringify(schema, null, 2)}\n`);
        ctx.stdout(`wrote ${Object.keys(schemas).join(', ')}`);
      } else ctx.stdout(JSON.stringify(schemas, null, 2));
      return EXIT_CODES.ok;
    }));
}
