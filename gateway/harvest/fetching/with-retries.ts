import { HarvestFailure } from '../types.ts';

export interface RetryOptions {
  /** Retries after the first attempt. */
  retries: number;
  /** Wait before the first retry, in ms; doubled for each further one, with up to 20 % jitter. */
  backoffMs: number;
  signal?: AbortSignal;
}

/** Runs `attempt` until it succeeds, retrying transient HarvestFailures with exponential backoff. */
export async function withRetries<T>(attempt: () => Promise<T>, options: RetryOptions): Promise<T> {
  for (let n = 0; ; n++) {
    try {
      return await attempt();
    } catch (error) {
      const transient = error instanceof HarvestFailure && error.transient;
      if (!transient || n >= options.retries || options.signal?.aborted) throw error;
      const wait = options.backoffMs * 2 ** n * (1 + Math.random() * 0.2);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait);
        options.signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
      });
    }
  }
}
