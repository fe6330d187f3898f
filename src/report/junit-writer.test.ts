import { describe, expect, it } from 'vitest';
import { SYNTHETIC_SECRET as SECRET, syntheticRunWithSecret as withSecretInIt } from './fixtures/synthetic-run.ts';
import { renderJunit } from './junit-writer.ts';

// Run data here is SYNTHETIC (src/report/fixtures/synthetic-run.ts) and labelled as such in every output.

describe('JUnit XML', () => {
  it('has one testcase per verdict, failures for missed targets and skipped with reasons', () => {
    const xml = renderJunit(withSecretInIt(), { secrets: [SECRET] });
    expect(xml).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="prodlike 20250102T030405Z-synthetic \(SYNTHETIC DATA\)" tests="7" failures="1" errors="0" skipped="1"/);
    expect(xml.match(/<testcase /g)).toHaveLength(7);
    expect(xml).toContain('<failure type="TargetMissed" message="platform.rpo missed: measured 24h, limit &lt;= 15m, margin −23h45m; source: doc 004 §Overview › Design Goals (&quot;Recovery Point Objective (RPO) | &lt; 15 minutes&quot;); worst case implied by the daily CronJob schedule');
    expect(xml).toContain('<skipped message="node loss needs Kubernetes nodes; the docker provider runs plain containers"/>');
    expect(xml).not.toContain(SECRET);
    // Balanced elements (a cheap well-formedness check).
    for (const tag of ['testsuites', 'testsuite', 'testcase', 'properties']) {
      expect(xml.match(new RegExp(`<${tag}[ >]`, 'g'))?.length).toBe(xml.match(new RegExp(`</${tag}>`, 'g'))?.length);
    }
  });
});
