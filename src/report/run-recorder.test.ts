import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EventBus } from '../core/events.ts';
import { SYNTHETIC_SECRET as SECRET, syntheticRunWithSecret as withSecretInIt } from './fixtures/synthetic-run.ts';
import { readJournal } from './journal-writer.ts';
import { readRunResults, rerenderRun } from './report-writer.ts';
import { createRunDirectory, resolveRunDirectory, runTimestamp } from './run-directory.ts';
import { RunRecorder } from './run-recorder.ts';
import { parseRunResults } from './run-results.ts';

// Run data here is SYNTHETIC (src/report/fixtures/synthetic-run.ts) and labelled as such in every output.

describe('run directory, journal and re-rendering', () => {
  it('names runs <timestamp>-<id> and resolves latest, exact, prefix and suffix references', async () => {
    const root = await mkdtemp(join(tmpdir(), 'prodlike-runs-'));
    expect(runTimestamp(new Date(Date.UTC(2025, 0, 2, 3, 4, 5, 678)))).toBe('20250102T030405Z');
    const a = await createRunDirectory({ root, id: 'Fail Over!', now: new Date(Date.UTC(2025, 0, 2, 3, 4, 5)) });
    const b = await createRunDirectory({ root, id: 'backup', now: new Date(Date.UTC(2025, 0, 3, 0, 0, 0)) });
    expect(a.runId).toBe('20250102T030405Z-fail-over');
    expect(await resolveRunDirectory(undefined, root)).toBe(b.path);
    expect(await resolveRunDirectory('latest', root)).toBe(b.path);
    expect(await resolveRunDirectory('fail-over', root)).toBe(a.path);
    expect(await resolveRunDirectory('20250102', root)).toBe(a.path);
    await expect(resolveRunDirectory('2025', root)).rejects.toThrow(/matches 2 runs/);
    await expect(resolveRunDirectory('nope', root)).rejects.toThrow(/No run matches "nope"/);
    await expect(resolveRunDirectory(undefined, join(root, 'empty'))).rejects.toThrow(/No runs found/);
  });

  it('journals every bus event as it arrives, writes all report files and re-renders them from results.json', async () => {
    const root = await mkdtemp(join(tmpdir(), 'prodlike-runs-'));
    const bus = new EventBus();
    const recorder = await RunRecorder.start({ root, id: 'sample', bus, secrets: [SECRET], dataOrigin: 'synthetic', provider: 'docker', profile: 'documented' });
    bus.emit({ kind: 'log', level: 'info', message: `psql with ${SECRET}` });
    bus.emit({ kind: 'fault.injected', scenario: 'redis-kill', fault: 'kill', target: 'redis' });
    // Appended synchronously: readable before the run finishes.
    expect(readJournal(recorder.journal.path).map((e) => e.kind)).toEqual(['log', 'fault.injected']);
    for (const s of withSecretInIt().scenarios) recorder.addScenario(s);
    const done = await recorder.finish();
    bus.emit({ kind: 'log', level: 'info', message: 'after finish: not journaled' });
    expect((await readdir(recorder.path)).sort()).toEqual(['journal.ndjson', 'junit.xml', 'report.html', 'results.json']);
    for (const file of [done.journal, done.results, done.junit, done.html]) expect(await readFile(file, 'utf8')).not.toContain(SECRET);
    expect(readJournal(done.journal)).toHaveLength(2);
    const back = await readRunResults(recorder.path);
    expect(back.runId).toBe(recorder.runId);
    expect(back.scenarios[0]!.probes[0]!.attempts).toHaveLength(250);
    const again = await rerenderRun(recorder.path);
    expect(await readFile(again.html, 'utf8')).toContain(recorder.runId);
  });

  it('rejects a file that is not a results.json with a hint', () => {
    expect(() => parseRunResults('{"schemaVersion":1}', 'x/results.json')).toThrow(/x\/results.json is not a prodlike results file/);
    expect(() => parseRunResults('{', 'x/results.json')).toThrow(/not valid JSON/);
  });
});
