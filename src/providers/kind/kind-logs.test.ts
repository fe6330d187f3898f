import { describe, expect, it } from 'vitest';
import { kindLogsArgs, parsePrefixedLine } from './kind-logs.ts';

const backend = { namespace: 'ai-saas-platform', selector: { app: 'backend', tier: 'api' } };

describe('kindLogsArgs', () => {
  it('reads every pod of the selector, all containers, prefixed, with an explicit tail (kubectl defaults to 10 with -l)', () => {
    expect(kindLogsArgs(backend)).toEqual(['-n', 'ai-saas-platform', 'logs', '-l', 'app=backend,tier=api', '--all-containers', '--prefix', '--ignore-errors', '--tail=-1']);
  });

  it('follows with --max-log-requests covering every container (never below kubectl default 5), --since in seconds', () => {
    const args = kindLogsArgs(backend, { follow: true, tail: 20, sinceSeconds: 300, streams: 9 });
    expect(args).toEqual(expect.arrayContaining(['--tail=20', '--since=300s', '-f', '--max-log-requests=9']));
    expect(kindLogsArgs(backend, { follow: true, streams: 2 })).toContain('--max-log-requests=5');
    expect(kindLogsArgs(backend)).not.toContain('-f');
  });

  it('names one pod instead of the selector when a replica is asked for', () => {
    const args = kindLogsArgs(backend, { pod: 'backend-7d9c-abcde', tail: 200 });
    expect(args).toContain('pod/backend-7d9c-abcde');
    expect(args).not.toContain('-l');
  });
});

describe('parsePrefixedLine', () => {
  it('splits kubectl --prefix into pod/container and the text', () => {
    expect(parsePrefixedLine('[pod/backend-7d9c-abcde/backend] {"msg":"listening"}', 'backend')).toEqual({ source: 'backend-7d9c-abcde/backend', text: '{"msg":"listening"}' });
    expect(parsePrefixedLine('[pod/postgres-0/postgres] ', 'postgres')).toEqual({ source: 'postgres-0/postgres', text: '' });
  });

  it('keeps a line without the prefix whole, under the role', () => {
    expect(parsePrefixedLine('error: no pods', 'worker')).toEqual({ source: 'worker', text: 'error: no pods' });
  });
});
