import { describe, expect, it } from 'vitest';
import * as prodlike from './index.ts';

describe('package entry (src/index.ts)', () => {
  it('exports the provider guards, the errors, config loading and the measurement probes', () => {
    for (const name of ['canKubernetes', 'canJobs', 'canWatchEvents', 'canKill', 'createProvider', 'loadConfig', 'loadTargets', 'AvailabilityProbe', 'SentinelWriter', 'httpCheck']) {
      expect(typeof (prodlike as Record<string, unknown>)[name], name).toBe('function');
    }
    expect(new prodlike.UsageError('x')).toBeInstanceOf(prodlike.ProdlikeError);
    expect(prodlike.EXIT_CODES.targetMissed).toBe(1);
  });
});
