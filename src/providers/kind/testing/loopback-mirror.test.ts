import { describe, expect, it } from 'vitest';
import { splitReference } from './loopback-mirror.ts';

describe('splitReference', () => {
  it('normalises a reference as Docker does: docker.io and library/ for official images, the first component as host only when it looks like one', () => {
    expect(splitReference('postgres:15-alpine')).toEqual({ host: 'docker.io', path: 'library/postgres:15-alpine' });
    expect(splitReference('grafana/k6:1.8.1')).toEqual({ host: 'docker.io', path: 'grafana/k6:1.8.1' });
    expect(splitReference('quay.io/minio/minio:RELEASE.x')).toEqual({ host: 'quay.io', path: 'minio/minio:RELEASE.x' });
    expect(splitReference('registry.k8s.io/networking/kube-network-policies:v0.8.0')).toEqual({ host: 'registry.k8s.io', path: 'networking/kube-network-policies:v0.8.0' });
    expect(splitReference('localhost:5000/app:1')).toEqual({ host: 'localhost:5000', path: 'app:1' });
  });
});
