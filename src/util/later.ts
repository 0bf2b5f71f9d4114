/**
 * Marks a promise that is started now and awaited only after other work: a rejection in between
 * must not count as unhandled (which ends the process). The caller still awaits `p` and sees it.
 */
export function awaitedLater<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}
