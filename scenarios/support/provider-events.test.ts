import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import { timelineWatches } from './provider-events.ts';

describe('the pods a kind timeline follows, from the configuration', () => {
  it('document 001: one watch of app-backend by the app label', () => {
    expect(timelineWatches(configSchema.parse({}))).toEqual([{ namespace: 'app-backend', podSelector: 'app in (postgres,redis,minio,backend,worker)' }]);
  });

  it('another application: a watch per namespace, or per role when the selectors differ in shape', () => {
    const config = configSchema.parse({
      topology: {
        backend: { namespace: 'shop', selector: { 'app.kubernetes.io/name': 'api' } },
        worker: { namespace: 'shop', selector: { 'app.kubernetes.io/name': 'jobs', tier: 'batch' } },
        postgres: { namespace: 'data', selector: { app: 'pg' } },
        redis: { namespace: 'data', selector: { app: 'cache' } },
        minio: { enabled: false },
      },
    });
    expect(timelineWatches(config)).toEqual([
      { namespace: 'data', podSelector: 'app in (pg,cache)' },
      { namespace: 'shop', podSelector: 'app.kubernetes.io/name=api' },
      { namespace: 'shop', podSelector: 'app.kubernetes.io/name=jobs,tier=batch' },
    ]);
  });
});
