import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { WORKLOAD_ROLES } from '../../config/schema.ts';
import { PACKAGE_ROOT } from '../../core/paths.ts';
import { deleteAt, randomDocument, setAt, unknownKey, wrongTypeFor, yamlSoup } from './fuzz.ts';

/**
 * Generators of bad prodlike.yaml files (used by src/config/config.fuzz.test.ts and the CLI-level test):
 * the real prodlike.yaml with an unknown key or a wrong-typed / out-of-rule value at a known key (the
 * rejection must name that key: `mustName`), plus free-form random YAML.
 */
export const VALID = parse(readFileSync(join(PACKAGE_ROOT, 'prodlike.yaml'), 'utf8')) as Record<string, unknown>;

const OBJECTS: Record<string, readonly string[]> = {
  '': ['$schema', 'name', 'provider', 'imageSource', 'manifests', 'targets', 'topology', 'ports', 'kind'],
  targets: ['file', 'profile'],
  topology: WORKLOAD_ROLES,
  'topology.backend': ['enabled', 'replicas', 'namespace', 'workload', 'service', 'selector'],
  'topology.postgres': ['enabled', 'replicas', 'namespace', 'workload', 'service', 'selector'],
  ports: ['entry'],
  kind: ['kubernetesVersion', 'workers', 'nodeImage'],
};

type Kind = 'string' | 'number' | 'boolean' | 'object' | 'array';
const LEAVES: [string, Kind][] = [
  ['name', 'string'], ['provider', 'string'], ['imageSource', 'string'], ['manifests', 'string'],
  ['targets.file', 'string'], ['targets.profile', 'string'],
  ['topology.backend.replicas', 'number'], ['topology.backend.enabled', 'boolean'], ['topology.redis.namespace', 'string'],
  ['topology.postgres.workload', 'string'], ['topology.frontend.selector', 'object'],
  ['ports.entry', 'number'], ['kind.kubernetesVersion', 'string'], ['kind.workers', 'number'], ['kind.nodeImage', 'string'],
  ['targets', 'object'], ['topology', 'object'], ['ports', 'object'], ['kind', 'object'], ['topology.worker', 'object'],
];
/** Values of the right type that break a rule (range, pattern, enum). */
const OUT_OF_RULE: [string, fc.Arbitrary<unknown>][] = [
  ['name', fc.oneof(fc.constant(''), fc.constant('Prod'), fc.stringMatching(/^[0-9-][a-z]{0,5}$/), fc.string({ minLength: 33, maxLength: 40 }).map((s) => `a${s.replace(/[^a-z]/g, 'x')}`))],
  ['provider', fc.string({ maxLength: 10 }).filter((s) => !['kind', 'docker'].includes(s))],
  ['imageSource', fc.string({ maxLength: 10 }).filter((s) => !['online', 'offline', 'auto'].includes(s))],
  ['ports.entry', fc.oneof(fc.integer({ min: -100_000, max: 1023 }), fc.integer({ min: 65_536, max: 10_000_000 }), fc.double({ min: 1024.1, max: 65_000, noInteger: true }))],
  ['kind.workers', fc.oneof(fc.integer({ min: 5, max: 1000 }), fc.integer({ min: -1000, max: -1 }))],
  ['topology.backend.replicas', fc.oneof(fc.integer({ min: 51, max: 10_000 }), fc.integer({ min: -50, max: -1 }), fc.double({ min: 0.1, max: 49.9, noInteger: true }))],
  ['topology.postgres.workload', fc.string({ maxLength: 20 }).filter((s) => !/^(deployment|statefulset)\/[a-z0-9-]+$/.test(s))],
  ['kind.kubernetesVersion', fc.string({ maxLength: 12 }).filter((s) => !/^v1\.\d+\.\d+$/.test(s))],
];

/** A bad config and, when known, the key path the rejection must name. */
export const badConfig: fc.Arbitrary<{ text: string; mustName?: string; label: string }> = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom(...Object.keys(OBJECTS)), fc.constantFrom(...Object.keys(OBJECTS)).chain((p) => unknownKey(OBJECTS[p]!)), wrongTypeFor('array')).map(([parent, key, value]) => {
    const path = parent ? [...parent.split('.'), key] : [key];
    return { text: stringify(setAt(VALID, path, value)), mustName: path.join('.'), label: 'unknown key' };
  }).filter((c) => !OBJECTS[c.mustName.split('.').slice(0, -1).join('.')]?.includes(c.mustName.split('.').at(-1)!)) },
  { weight: 3, arbitrary: fc.constantFrom(...LEAVES).chain(([path, kind]) => wrongTypeFor(kind).map((value) => ({ text: stringify(setAt(VALID, path.split('.'), value)), mustName: path, label: `wrong type at ${path}` }))) },
  { weight: 2, arbitrary: fc.constantFrom(...OUT_OF_RULE).chain(([path, arb]) => arb.map((value) => ({ text: stringify(setAt(VALID, path.split('.'), value)), mustName: path, label: `rule broken at ${path}` }))) },
  { weight: 1, arbitrary: fc.constantFrom('name', 'ports.entry', 'kind.workers').map((path) => ({ text: stringify(setAt(deleteAt(VALID, path.split('.')), path.split('.'), null)), mustName: path, label: `null at ${path}` })) },
  { weight: 2, arbitrary: yamlSoup.map((text) => ({ text, label: 'YAML soup' })) },
  { weight: 2, arbitrary: randomDocument.map((text) => ({ text, label: 'random document' })) },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }).map((text) => ({ text, label: 'random text' })) },
);

/** Only the mutations: certainly invalid, and the key they break is known. */
export const certainlyBadConfig = badConfig.filter((c): c is { text: string; mustName: string; label: string } => c.mustName !== undefined);
