import { describe, expect, it } from 'vitest';
import { EventLineParser, subjectOf, timelineEventOf, type DockerEventMessage } from './docker-events.ts';

const attrs = (extra: Record<string, string> = {}) => ({ name: 'prodlike-dev-postgres-0', 'io.prodlike.env': 'dev', 'io.prodlike.role': 'postgres', 'io.prodlike.replica': '0', ...extra });
const msg = (Action: string, extra: Record<string, string> = {}, timeNano = 1_700_000_000_123 * 1e6 + 456_789): DockerEventMessage => ({ Type: 'container', Action, Actor: { ID: 'abc', Attributes: attrs(extra) }, time: Math.floor(timeNano / 1e9), timeNano });

describe('docker events -> timeline entries', () => {
  it('maps die with its exit code, at the engine time in ms', () => {
    expect(timelineEventOf(msg('die', { exitCode: '137' }))).toEqual({ at: 1_700_000_000_123, type: 'container.died', source: 'provider', subject: 'postgres-0', detail: 'exit code 137', value: 137 });
  });

  it('marks an OOM kill on die, and the oom event as a note', () => {
    expect(timelineEventOf(msg('die', { exitCode: '137', oomKilled: 'true' }))?.detail).toBe('exit code 137, OOM killed');
    expect(timelineEventOf(msg('oom'))).toMatchObject({ type: 'note', detail: 'out of memory (OOM killer)' });
  });

  it('maps start, health_status and kill', () => {
    expect(timelineEventOf(msg('start'))?.type).toBe('container.started');
    expect(timelineEventOf(msg('health_status: healthy'))).toMatchObject({ type: 'container.ready', subject: 'postgres-0' });
    expect(timelineEventOf(msg('health_status: unhealthy'))).toMatchObject({ type: 'note', detail: 'docker health check: unhealthy' });
    expect(timelineEventOf(msg('kill', { signal: '9' }))).toMatchObject({ type: 'note', detail: 'kill signal 9 (engine API)' });
    expect(timelineEventOf(msg('pause'))?.type).toBe('container.paused');
    expect(timelineEventOf(msg('unpause'))?.type).toBe('container.unpaused');
  });

  it('falls back to the legacy status field and to whole seconds', () => {
    expect(timelineEventOf({ status: 'start', Actor: { Attributes: attrs() }, time: 1_700_000_000 })).toMatchObject({ at: 1_700_000_000_000, type: 'container.started' });
  });

  it('ignores other event types, unknown actions and events without a time', () => {
    expect(timelineEventOf({ ...msg('create'), Type: 'network' })).toBeUndefined();
    expect(timelineEventOf(msg('exec_start: sh'))).toBeUndefined();
    expect(timelineEventOf({ Type: 'container', Action: 'die', Actor: { Attributes: attrs() } })).toBeUndefined();
  });

  it('names job containers and unlabelled containers by their name', () => {
    expect(subjectOf({ name: 'prodlike-dev-job-x', 'io.prodlike.role': 'job' })).toBe('prodlike-dev-job-x');
    expect(subjectOf({ 'io.prodlike.role': 'backend', 'io.prodlike.replica': '2' })).toBe('backend-2');
  });
});

describe('EventLineParser', () => {
  it('joins lines split across chunks and skips malformed ones', () => {
    const p = new EventLineParser();
    const line = JSON.stringify(msg('die', { exitCode: '0' }));
    expect(p.push(line.slice(0, 20))).toEqual([]);
    const out = p.push(`${line.slice(20)}\nnot json\n${JSON.stringify(msg('start'))}\n{"Action":"st`);
    expect(out.map((m) => m.Action)).toEqual(['die', 'start']);
    expect(p.push('art"}\n')).toEqual([{ Action: 'start' }]);
  });
});
