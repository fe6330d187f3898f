import fc from 'fast-check';
import { stringify } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../../core/errors.ts';
import { validateYamlText, type ConfigProblem } from '../../config/validate-yaml.ts';

/**
 * Shared generators and the one property of the config fuzz tests (src/config/*.fuzz.test.ts): a bad
 * file is rejected with a ConfigError (exit 2) whose every problem names a key path or a YAML position;
 * nothing else is ever thrown.
 */
export type Outcome = { accepted: true } | { accepted: false; error: ConfigError; problems: ConfigProblem[] };

export function validate(text: string, schema: z.ZodType): Outcome {
  try {
    validateYamlText(text, 'fuzz.yaml', schema, 'Fuzzed file');
    return { accepted: true };
  } catch (error) {
    if (!(error instanceof ConfigError)) {
      const e = error instanceof Error ? error : new Error(String(error));
      throw new Error(`validateYamlText threw ${e.constructor.name} instead of ConfigError: ${e.message}\n--- input ---\n${text.slice(0, 2000)}`, { cause: e });
    }
    const problems = (error.details.problems ?? []) as ConfigProblem[];
    if (problems.length === 0) throw new Error(`ConfigError without problems for:\n${text.slice(0, 2000)}`);
    for (const p of problems) {
      const named = (p.path !== '' && p.path !== undefined) || p.line !== undefined;
      if (!named) throw new Error(`a problem names neither a key path nor a position: ${JSON.stringify(p)}\n--- input ---\n${text.slice(0, 2000)}`);
    }
    if (!/is invalid:\n {2}fuzz\.yaml/.test(error.message)) throw new Error(`unexpected message shape: ${error.message.slice(0, 300)}`);
    return { accepted: false, error, problems };
  }
}

/** A value that is certainly not of the given kind (YAML-representable, non-null). */
export function wrongTypeFor(kind: 'string' | 'number' | 'boolean' | 'object' | 'array'): fc.Arbitrary<unknown> {
  const scalars = {
    string: fc.string({ maxLength: 12 }),
    number: fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true })),
    boolean: fc.boolean(),
    object: fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }), fc.integer(), { minKeys: 1, maxKeys: 3 }),
    array: fc.array(fc.oneof(fc.integer(), fc.string({ maxLength: 5 })), { minLength: 1, maxLength: 3 }),
  };
  return fc.oneof(...Object.entries(scalars).filter(([k]) => k !== kind).map(([, a]) => a as fc.Arbitrary<unknown>));
}

/** Text that is YAML-ish: structure characters, anchors/aliases, tags, indentation, quotes. */
export const yamlSoup: fc.Arbitrary<string> = fc
  .array(fc.oneof(
    fc.constantFrom(':', ': ', '-', '- ', '\n', '\n  ', '\n    ', '{', '}', '[', ']', ',', '"', "'", '#', '&a ', '*a', '&b ', '*b', '!!str ', '!!int ', '!!map ', '!foo ', '|', '>', '? ', '---\n', '...\n', '%YAML 1.2\n', '\t', '~', 'null', 'true', '0x1F', '1e3', '.inf', '<<: ', '@', '`'),
    fc.constantFrom('name', 'provider', 'ports', 'entry', 'topology', 'backend', 'replicas', 'kind', 'workers', 'targets', 'profiles', 'documents', 'defaultProfile', 'metric', 'max', 'source', 'doc'),
    fc.string({ maxLength: 8 }),
  ), { maxLength: 40 })
  .map((parts) => parts.join(''));

/** Any structure (random keys, any types) serialized as YAML. */
export const randomDocument: fc.Arbitrary<string> = fc
  .anything({ maxDepth: 4, withNullPrototype: false, withBigInt: false, withDate: false, withTypedArray: false, withSparseArray: false, withBoxedValues: false, withMap: false, withSet: false, withObjectString: false })
  .map((value) => {
    try {
      return stringify(value) ?? '';
    } catch {
      return String(value);
    }
  });

/** Sets `value` at a dotted path of a deep copy of `base` (creating objects on the way). */
export function setAt(base: unknown, path: string[], value: unknown): unknown {
  const copy = structuredClone(base) as Record<string, unknown>;
  let node: Record<string, unknown> = copy;
  for (const key of path.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) Object.defineProperty(node, key, { value: {}, enumerable: true, writable: true, configurable: true });
    node = node[key] as Record<string, unknown>;
  }
  // defineProperty: a generated `__proto__` key must become an own key, as YAML parsing makes it.
  Object.defineProperty(node, path.at(-1)!, { value, enumerable: true, writable: true, configurable: true });
  return copy;
}

export function deleteAt(base: unknown, path: string[]): unknown {
  const copy = structuredClone(base) as Record<string, unknown>;
  let node: Record<string, unknown> | undefined = copy;
  for (const key of path.slice(0, -1)) node = node?.[key] as Record<string, unknown> | undefined;
  if (node) delete node[path.at(-1)!];
  return copy;
}

/** A key that is not one of `allowed` (random identifiers, unicode, numbers-as-strings, look-alikes). */
export function unknownKey(allowed: readonly string[]): fc.Arbitrary<string> {
  return fc
    .oneof(
      fc.string({ minLength: 1, maxLength: 12 }),
      fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9_-]{0,14}$/),
      fc.constantFrom(...allowed).map((k) => `${k}s`),
      fc.constantFrom(...allowed).map((k) => k.toUpperCase()),
      fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'prototype'),
    )
    // Printable keys only: control characters and lone surrogates are YAML errors, covered by yamlSoup.
    .filter((k) => !allowed.includes(k) && k.trim() === k && k.length > 0 && [...k].every((ch) => { const c = ch.codePointAt(0)!; return c >= 0x20 && !(c >= 0x7f && c <= 0x9f) && !(c >= 0xd800 && c <= 0xdfff); }));
}
