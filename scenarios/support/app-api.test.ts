import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import { apiMissing, appApi, lostWorkRpo } from './app-api.ts';

describe('the application contract', () => {
  const pgConfig = { host: '127.0.0.1', port: 1 };

  it('declared endpoints are used at their configured paths; a missing one names the key to set', () => {
    const application = configSchema.parse({ application: { health: '/healthz', api: { executions: '/v2/runs' } } }).application;
    const app = appApi('http://127.0.0.1:9', pgConfig, application);
    expect(app.health).toBe('http://127.0.0.1:9/healthz');
    expect(app.has('executions')).toBe(true);
    expect(app.has('records')).toBe(false);
    expect(apiMissing(application, 'executions')).toBeUndefined();
    expect(apiMissing(application, 'files', 'shop/prodlike.yaml')).toBe('the application declares no files endpoint (objects stored through the application): set application.api.files in shop/prodlike.yaml if it has one');
  });

  it('RPO sentinels: through the records endpoint when declared, otherwise rows prodlike writes into its own table', () => {
    const reference = appApi('http://127.0.0.1:9', pgConfig, configSchema.parse({}).application);
    expect(reference.recordsSink().sink.kind).toBe('http');
    expect(reference.recordsSink().what).toMatch(/acknowledged by the application \(POST \/api\/records\)/);
    const bare = appApi('http://127.0.0.1:9', pgConfig, configSchema.parse({ application: { api: {} } }).application);
    const own = bare.recordsSink();
    expect(own.sink.kind).toBe('postgres');
    expect(own.sink.target).toMatch(/^table prodlike_sentinel /);
    expect(own.what).toMatch(/prodlike committed into its own table prodlike_sentinel/);
  });

  it('lost work: 0 when everything completed, the oldest lost item\'s age otherwise', () => {
    expect(lostWorkRpo([{ id: 'a', acceptedAt: 1000 }], ['COMPLETED'], 5000)).toEqual({ value: 0, lost: [] });
    expect(lostWorkRpo([{ id: 'a', acceptedAt: 1000 }, { id: 'b', acceptedAt: 2000 }], ['FAILED', 'QUEUED'], 5000)).toEqual({ value: 4000, lost: ['a', 'b'] });
  });
});
