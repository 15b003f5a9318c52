/**
 * Lands a change between what a request reads and what it then stores: the first call of
 * `target[method]` returns what it found only after `then` ran. Only the first call (the change
 * itself may read the same way); the method is put back when `work` ends.
 */
export async function afterFirstCall<T extends object, K extends keyof T>(target: T, method: K, then: () => Promise<unknown>, work: () => Promise<void>): Promise<void> {
  const original = target[method] as (...args: unknown[]) => Promise<unknown>;
  target[method] = (async (...args: unknown[]) => {
    target[method] = original as T[K];
    const found = await original.apply(target, args);
    await then();
    return found;
  }) as T[K];
  try {
    await work();
  } finally {
    target[method] = original as T[K];
  }
}
