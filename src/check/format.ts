/** Renderings of a check report: a terminal table with details, and SARIF 2.1.0 for code scanning. */
import { table, truncate } from '../core/text-table.ts';
import type { CheckReport } from './check.ts';
import type { Coverage } from './coverage.ts';
import type { Finding, FindingObject, Rule, Severity } from './finding.ts';
import { RULES } from './rules/index.ts';

const SYMBOL: Record<Severity, string> = { error: '✖', warning: '⚠', info: 'ℹ' };

function objectText(o: FindingObject): string {
  return `${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name}`;
}

export function formatTable(report: CheckReport): string {
  const lines: string[] = [];
  lines.push(`prodlike check · profile ${report.profile.name} (${report.profile.title}; doc ${report.profile.documents.join(', ')}) · ${report.manifests.source} (${report.manifests.renderedWith}, ${report.manifests.objects} objects)`);
  lines.push('');
  if (report.findings.length === 0) {
    lines.push(`✔ no contradiction found (${report.summary.rules.length} rules) — on what was evaluated:`);
    lines.push('');
    lines.push(formatCoverage(report.coverage));
    return lines.join('\n');
  }
  const rows = report.findings.map((f, i) => [
    `${SYMBOL[f.severity]} ${i + 1}`,
    f.ruleId,
    truncate(f.objects.slice(0, 2).map(objectText).join(', ') + (f.objects.length > 2 ? ` +${f.objects.length - 2}` : ''), 60),
    truncate(f.targets.map((t) => `doc ${t.source.doc}${t.line ? ` line ${t.line}` : ''} §${t.source.section}`).join('; ') || '—', 60),
  ]);
  lines.push(table(['#', 'rule', 'objects', 'document'], rows));
  lines.push('');
  report.findings.forEach((f, i) => {
    lines.push(`${SYMBOL[f.severity]} ${i + 1}. [${f.severity}] ${f.ruleId}`);
    lines.push(`   ${f.message}`);
    for (const t of f.targets) lines.push(`   target: ${t.id ? `${t.id} ` : ''}${t.value} — ${t.reference}${t.source.quote ? ` ("${t.source.quote}")` : ''}`);
    const located = f.objects.filter((o) => o.location);
    if (located.length) lines.push(`   where:  ${located.map((o) => `${objectText(o)} (${o.location!.file}${o.location!.line ? `:${o.location!.line}` : ''})`).join(', ')}`);
    lines.push(`   fix:    ${f.hint}`);
    lines.push('');
  });
  lines.push(formatCoverage(report.coverage));
  lines.push('');
  const s = report.summary;
  lines.push(`${s.error} error${s.error === 1 ? '' : 's'}, ${s.warning} warning${s.warning === 1 ? '' : 's'}, ${s.info} info · exit ${s.exitCode}`);
  return lines.join('\n');
}

const STATUS: Record<string, string> = { evaluated: '✔', 'not-evaluated': '✖', runtime: '·' };

/** The coverage section: each target and the workloads it was applied to, or why not. */
export function formatCoverage(c: Coverage): string {
  const lines = ['coverage (✔ evaluated on the workloads listed · ✖ not evaluated · · measured at run time, not statically):'];
  for (const e of c.entries) {
    const name = e.id ?? `${e.type === 'autoscaling' ? 'HPA' : 'PDB'} of ${e.component}`;
    const what = e.status === 'evaluated' && e.workloads.length
      ? e.workloads.map((w) => w.name).join(', ')
      : e.note ?? '';
    const suffix = e.status === 'evaluated' ? ` · ${e.findings} finding${e.findings === 1 ? '' : 's'}${e.note && e.workloads.length ? ` · ${e.note}` : ''}` : '';
    lines.push(`  ${STATUS[e.status]} ${name} (${e.value}, ${e.component}) → ${truncate(what, 160)}${suffix}`);
  }
  lines.push(c.dataStores.length
    ? `  data stores recognised: ${c.dataStores.map((d) => `${d.name} (${d.engine}, ${d.evidence}${d.targets.length ? `; ${d.targets.join(', ')}` : '; no target of the profile'})`).join('; ')}`
    : '  data stores recognised: none');
  lines.push(`  capacity: ${c.capacity}`);
  lines.push(`  local-cluster advice (pull policy, kind overlay): ${c.localCluster ? 'on (checking for the local kind cluster)' : 'off (--local to check for the local kind cluster)'}`);
  lines.push(`  alert rules: ${c.alertRules}`);
  for (const n of c.notes) lines.push(`  note: ${n}`);
  return lines.join('\n');
}

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { error: 'error', warning: 'warning', info: 'note' };

export const SARIF_SCHEMA_URI = 'https://json.schemastore.org/sarif-2.1.0.json';

/** SARIF 2.1.0 log: one run, every rule in tool.driver.rules, one result per finding. */
export function toSarif(report: CheckReport, rules: readonly Rule[] = RULES): Record<string, unknown> {
  const index = new Map(rules.map((r, i) => [r.id, i]));
  return {
    $schema: SARIF_SCHEMA_URI,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'prodlike',
            version: report.tool.version,
            rules: rules.map((r) => ({
              id: r.id,
              name: r.id.split('-').map((w) => w[0]!.toUpperCase() + w.slice(1)).join(''),
              shortDescription: { text: r.title },
              fullDescription: { text: r.description },
              help: { text: r.description },
              defaultConfiguration: { level: LEVEL[r.severity] },
            })),
          },
        },
        originalUriBaseIds: { PROJECTROOT: { description: { text: 'The project directory (where prodlike.yaml is).' } } },
        results: report.findings.map((f) => sarifResult(f, index.get(f.ruleId))),
        properties: { profile: report.profile, manifests: report.manifests, coverage: report.coverage },
      },
    ],
  };
}

function sarifResult(f: Finding, ruleIndex: number | undefined): Record<string, unknown> {
  const located = f.objects.filter((o) => o.location);
  const logical = f.objects.map((o) => ({ fullyQualifiedName: `${o.namespace ? `${o.namespace}/` : ''}${o.kind}/${o.name}`, name: o.name, kind: 'resource' }));
  const locations = located.length > 0
    ? located.map((o) => ({
        physicalLocation: {
          artifactLocation: artifactLocation(o.location!.file),
          ...(o.location!.line ? { region: { startLine: o.location!.line } } : {}),
        },
        logicalLocations: [{ fullyQualifiedName: `${o.namespace ? `${o.namespace}/` : ''}${o.kind}/${o.name}`, name: o.name, kind: 'resource' }],
      }))
    : [{ logicalLocations: logical }];
  return {
    ruleId: f.ruleId,
    ...(ruleIndex !== undefined ? { ruleIndex } : {}),
    level: LEVEL[f.severity],
    message: { text: `${f.message}${f.targets.length ? ` Documented: ${f.targets.map((t) => `${t.value} (${t.reference})`).join('; ')}.` : ''} Fix: ${f.hint}` },
    locations,
    properties: { severity: f.severity, objects: f.objects, targets: f.targets, ...(f.details ? { details: f.details } : {}) },
  };
}

function artifactLocation(file: string): { uri: string; uriBaseId?: string } {
  const path = file.replace(/ \(rendered\)$/, '');
  if (path.startsWith('/')) return { uri: `file://${path.split('/').map(encodeURIComponent).join('/')}` };
  return { uri: path.split('/').map(encodeURIComponent).join('/'), uriBaseId: 'PROJECTROOT' };
}
