import { z } from 'zod';
import { configSchema } from '../../config/schema.ts';
import { targetsFileSchema } from '../../config/targets-schema.ts';

/** The JSON schemas of prodlike.yaml and the targets file (for editors), by file name. */
export function jsonSchemas(): Record<string, unknown> {
  return {
    'prodlike.schema.json': z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }),
    'targets.schema.json': z.toJSONSchema(targetsFileSchema, { io: 'input', unrepresentable: 'any' }),
  };
}
