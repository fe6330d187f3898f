/**
 * Settles with `work`, or rejects with the signal's reason as soon as the signal aborts, whichever comes
 * first. The work itself keeps running (most clients cannot cancel a request already on the wire); callers
 * that must free resources listen to the same signal.
 */
export function raceAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      work.catch(() => undefined);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** A short, stable description of an error for probe/writer records: message plus the errno code. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    if (error.name === 'TimeoutError') return `timeout: ${error.message}`;
    const cause = (error as Error & { cause?: unknown }).cause;
    const code = (error as Error & { code?: unknown }).code ?? (cause as { code?: unknown } | undefined)?.code;
    const causeMessage = cause instanceof Error && cause.message !== error.message ? `: ${cause.message}` : '';
    const base = `${error.message || error.name}${causeMessage}`;
    return typeof code === 'string' && !base.includes(code) ? `${base} (${code})` : base;
  }
  return String(error);
}
