import { describe, expect, it } from 'vitest';
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
});
