/**
 * A scenario in miniature, run as a child process by src/providers/docker/rollbacks.safety.int.test.ts:
 * it pauses one service and partitions another through the rollback registry, says so, and waits. The
 * test then sends SIGINT (as Ctrl-C would) and checks that everything was healed.
 *
 * usage: tsx rollback-child.ts <projectDir> <config-json> <pause-service> <partition-service> [--interrupt-early]
 * stdout: JSON events, then `FAULTS-INJECTED`, then `ROLLBACKS <json report>` and `ENDED <reason>`.
 */
import { configSchema, type WorkloadRole } from '../../config/schema.ts';
import { ProdlikeError } from '../../core/errors.ts';
import { EventBus } from '../../core/events.ts';
import { topologyImages } from '../../providers/create-provider.ts';
import { DockerProvider } from '../../providers/docker/docker-provider.ts';
import { partitionService, pauseService } from '../faults.ts';
import { withRollbacks } from '../rollbacks.ts';

const [projectDir, configJson, pauseTarget, partitionTarget, mode] = process.argv.slice(2);
if (!projectDir || !configJson || !pauseTarget || !partitionTarget) throw new Error('usage: rollback-child.ts <projectDir> <config-json> <pause> <partition>');
const config = configSchema.parse(JSON.parse(configJson));
const bus = new EventBus();
bus.on((e) => process.stdout.write(`${JSON.stringify(e)}\n`));
const provider = new DockerProvider({ config, images: await topologyImages('offline'), projectDir, imageSource: 'offline', bus });

const abort = new AbortController();
const interrupted = (signal: string) => () => abort.abort(new ProdlikeError('INTERRUPTED', `interrupted by ${signal}`));
process.on('SIGINT', interrupted('SIGINT'));
process.on('SIGTERM', interrupted('SIGTERM'));

try {
  await withRollbacks(async (registry) => {
    const ctx = { registry, scenario: 'sigint-test', bus };
    if (mode === '--interrupt-early') process.stdout.write('INJECTING\n'); // the test interrupts right now
    await pauseService(provider, ctx, pauseTarget as WorkloadRole);
    await partitionService(provider, ctx, partitionTarget as WorkloadRole);
    process.stdout.write('FAULTS-INJECTED\n');
    abort.signal.throwIfAborted();
    // A scenario measuring while the faults hold (a pending promise alone would let Node exit).
    const measuring = setInterval(() => undefined, 1_000);
    await new Promise((_, reject) => abort.signal.addEventListener('abort', () => reject(abort.signal.reason), { once: true })).finally(() => clearInterval(measuring));
  }, { signal: abort.signal, bus });
} catch (error) {
  const details = error instanceof ProdlikeError ? error.details : {};
  process.stdout.write(`ROLLBACKS ${JSON.stringify(details.rollbacks ?? null)}\n`);
  process.stdout.write(`ENDED ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 130;
}
