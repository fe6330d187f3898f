import { dirname, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The layers of src/, lowest first. A module may import from its own folder and from folders in lower
 * layers; never upward, never sideways into another folder of its own layer. Type-only imports count too
 * (a type import is still a dependency of the design). Tests (`*.test.ts`) and test support (`testing/`,
 * `fixtures/` folders) may reach anywhere: a measurement test may render a report.
 *
 *   core                      errors, exec, wait, events, paths, quantities: no prodlike concepts above them
 *   config                    prodlike.yaml / targets.yaml schemas and loading
 *   probe                     checks, one attempt each (HTTP, SQL, Redis, S3, TCP), and waitUntil: the one probe
 *                             vocabulary of readiness, setup's smoke checks and measurement
 *   setup, kube               images and the Docker engine; Kubernetes access (kubectl, watches, object types)
 *   measure                   availability probes, sentinels, timelines, verdicts, Kubernetes trackers, series
 *   providers/provider.ts     the provider contract: the interface, its capabilities and their guards
 *   safety                    ownership guard, locks, fault journal, rollbacks (drives providers through the contract)
 *   providers                 the docker and kind implementations
 *   backup, load, report, doctor, check, build   procedures and tools built on the above, independent of each other
 *                           (build: `up --build`'s image builds and roll-outs)
 *   cli, index.ts             the command line and the package's public entry
 * scenarios/ (outside src/) sit on top and may import anything.
 */
export const LAYERS = [
  ['core'],
  ['config'],
  ['probe'],
  ['setup', 'kube'],
  ['measure'],
  ['providers/provider.ts'],
  ['safety'],
  ['providers'],
  ['backup', 'load', 'report', 'doctor', 'check', 'build'],
  ['cli', 'index.ts'],
];

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'src');
const rank = new Map(LAYERS.flatMap((layer, i) => layer.map((element) => [element, i])));

/** The layer element of a file under src/ (undefined outside src/). */
export function elementOf(file) {
  const rel = relative(SRC, file);
  if (rel.startsWith('..') || rel === '') return undefined;
  const parts = rel.split(sep);
  if (parts.length === 1) return parts[0];
  if (parts[0] === 'providers' && parts.length === 2 && parts[1] === 'provider.ts') return 'providers/provider.ts';
  return parts[0];
}

const exempt = (file) => /\.test\.ts$/.test(file) || /[\\/](testing|fixtures)[\\/]/.test(relative(SRC, file));

/** Why `from` may not import `to`, or undefined when it may. */
export function layerViolation(from, to) {
  if (from === undefined || to === undefined || from === to) return undefined;
  const a = rank.get(from);
  const b = rank.get(to);
  if (a === undefined || b === undefined) return `src/${from === undefined || a === undefined ? from : to} has no layer in eslint/layers.js: add it`;
  if (b < a) return undefined;
  return b === a ? `src/${from} and src/${to} are independent folders of one layer` : `src/${to} is above src/${from}`;
}

const order = LAYERS.map((l) => l.join(', ')).join('  <  ');

export default {
  rules: {
    'import-layers': {
      meta: {
        type: 'problem',
        docs: { description: 'folders of src/ import downward only (eslint/layers.js)' },
        schema: [],
        messages: { upward: "'{{source}}' breaks the layering: {{why}}. Layers, lowest first: {{order}}. Move the shared piece down instead." },
      },
      create(context) {
        const file = context.filename;
        if (exempt(file)) return {};
        const from = elementOf(file);
        if (from === undefined) return {};
        const check = (node, source) => {
          if (typeof source !== 'string' || !source.startsWith('.')) return;
          const why = layerViolation(from, elementOf(resolve(dirname(file), source)));
          if (why) context.report({ node, messageId: 'upward', data: { source, why, order } });
        };
        return {
          ImportDeclaration: (node) => check(node, node.source.value),
          ExportNamedDeclaration: (node) => node.source && check(node, node.source.value),
          ExportAllDeclaration: (node) => check(node, node.source.value),
          ImportExpression: (node) => node.source.type === 'Literal' && check(node, node.source.value),
        };
      },
    },
  },
};
