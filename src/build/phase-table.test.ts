import { describe, expect, it } from 'vitest';
import { phaseTable } from './phase-table.ts';

describe('phaseTable', () => {
  it('lists the build, the redirected bases, each replica re-created and ready, and the total', () => {
    const text = phaseTable({
      built: [{ image: 'prodlike.local/demo:1', status: 'built', builder: 'classic', id: 'sha256:1', inputs: 'x', durationMs: 2100, roles: ['backend'], redirects: [{ from: 'node:20-alpine', to: 'prodlike.local/node:20-bookworm', match: 'exact', via: 'node:20-alpine' }] }],
      rolled: [{ role: 'backend', name: 'prodlike-x-backend-0', image: 'prodlike.local/demo:1', imageId: 'sha256:0123456789abcdef', recreateMs: 400, readyMs: 1500 }],
      totalMs: 4000,
    });
    expect(text).toContain('FROM node:20-alpine → prodlike.local/node:20-bookworm (offline)');
    expect(text).toMatch(/build\s+prodlike\.local\/demo:1\s+built \(classic builder\)/);
    expect(text).toMatch(/recreate\s+prodlike-x-backend-0\s+on 0123456789ab/);
    expect(text).toMatch(/ready\s+prodlike-x-backend-0/);
    expect(text).toMatch(/total .*build → every replica ready/);
  });

  it('says when nothing had to be re-created', () => {
    expect(phaseTable({ built: [], rolled: [], totalMs: 10 })).toContain('every replica already runs the current image');
  });
});
