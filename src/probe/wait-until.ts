import { waitFor, type WaitOptions } from '../core/wait.ts';
import { attempt, type ProbeCheck } from './check.ts';

export interface WaitUntilOptions extends Omit<WaitOptions, 'description'> {
  /** What we wait for, in words, for the timeout error; default: `<target> to answer`. */
  description?: string;
  /** Timeout of each attempt (default 2000 ms); `intervalMs` (default 250 ms) passes between attempts. */
  attemptTimeoutMs?: number;
}

/**
 * Readiness: attempts `check` until one passes, or the timeout expires (READINESS_TIMEOUT, the last
 * attempt's error as its cause). An error that `fatal` recognises (a password the server rejects) ends the
 * wait at once and is rethrown as the check threw it. The check is closed at the end, passed or not.
 */
export async function waitUntil(check: ProbeCheck, options: WaitUntilOptions): Promise<void> {
  const { attemptTimeoutMs = 2000, description = `${check.target} to answer`, ...wait } = options;
  try {
    await waitFor(async () => {
      const outcome = await attempt(check, attemptTimeoutMs);
      if (!outcome.ok) throw outcome.cause;
      return true;
    }, { ...wait, description });
  } finally {
    await check.close?.().catch(() => undefined);
  }
}
