import type { Permission } from '../../../services/auth/permissions.ts';

const WRITES = new Set(['set', 'copy', 'import', 'upload']);

/**
 * The permission a JMAP method call needs on top of `jmap-authenticate` (ADR 0027): sending
 * needs `email-send`, a method that changes something (`/set`, `/copy`, `/import`,
 * `Blob/upload`) `mail-write`, any other `mail-read`, as the REST routes over the same data
 * have it. `Core/echo` touches no data and needs nothing.
 */
export function methodPermission(name: string): Permission | null {
  if (name === 'Core/echo') return null;
  if (name === 'EmailSubmission/set') return 'email-send';
  return WRITES.has(name.slice(name.indexOf('/') + 1)) ? 'mail-write' : 'mail-read';
}
