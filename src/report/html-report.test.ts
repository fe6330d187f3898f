import { describe, expect, it } from 'vitest';
import { reportWithoutTarget } from '../measure/verdict.ts';
import { SYNTHETIC_SECRET as SECRET, syntheticRun, syntheticRunWithSecret as withSecretInIt } from './fixtures/synthetic-run.ts';
import { renderHtmlReport } from './html-report.ts';

// Run data here is SYNTHETIC (src/report/fixtures/synthetic-run.ts) and labelled as such in every output.

describe('HTML report', () => {
  it('is self-contained: inline CSS/JS/SVG, no external resources', () => {
    const html = renderHtmlReport(withSecretInIt(), { secrets: [SECRET] });
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<style>');
    expect(html).toContain('<script>');
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|@import|url\(http/i);
    const urls = [...html.matchAll(/(?:src|href)="([^"#][^"]*)"/g)].map((m) => m[1]);
    expect(urls).toEqual([]);
    expect(html).not.toContain(SECRET);
  });

  it('shows the verdict table, the synthetic banner, charts with outage shading and fault markers, replicas and RPO', () => {
    const html = renderHtmlReport(syntheticRun());
    expect(html).toContain('SYNTHETIC DATA');
    expect(html).toContain('<th>Scenario</th><th>Target (source)</th><th>Measured</th><th>Limit</th><th>Margin</th><th>Verdict</th>');
    expect(html.match(/<svg class="chart"/g)).toHaveLength(3); // two probes, one replica series
    expect(html).toContain('fill="rgba(229,57,53,0.13)"');
    expect(html).toMatch(/<title>outage 2\.4\d\d s/);
    expect(html).toContain('fault.injected redis — docker kill -s KILL');
    expect(html).toContain('backend replicas (ready)');
    expect(html).toMatch(/Lost acknowledged<\/th>/);
    expect(html).toContain('node loss needs Kubernetes nodes');
  });

  it('shows a figure the profile has no target for with its measured value and why it is not judged', () => {
    const run = syntheticRun();
    run.scenarios[0]!.verdicts.push(reportWithoutTarget('pods.rto', { value: 42_000, unit: 'ms', metric: 'rto' }, 'platform'));
    const html = renderHtmlReport(run);
    const row = html.split('<tr').find((r) => r.includes('<b>pods.rto</b>'));
    expect(row).toBeDefined();
    expect(row).toContain('<span class="metric">rto · unknown</span>');
    expect(row).toContain('<td class="num">42.0s</td>');
    expect(row).toContain('profile platform has no target pods.rto: measured, not judged');
    expect(row).toContain('<span class="badge skipped">SKIPPED</span>');
  });
});
