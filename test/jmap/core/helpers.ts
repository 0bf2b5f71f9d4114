import { BUILT_IN_ROLES } from '../../../src/services/auth/permissions.ts';
import type { Services } from '../../../src/services/index.ts';
import { processRequest, type ProcessResult } from '../../../src/protocols/jmap/core/process.ts';
import { createRegistry, type MethodModule } from '../../../src/protocols/jmap/core/registry.ts';
import { CORE, type MethodRegistry } from '../../../src/protocols/jmap/types.ts';

export const principal = { id: 'u1', username: 'alice', accountId: 'a1', accounts: [{ id: 'a1', name: 'alice', kind: 'local' as const, isPersonal: true, isReadOnly: false, isPrimary: true }], permissions: new Set(BUILT_IN_ROLES.user) };
export const baseCtx = { principal, services: {} as Services, accountIds: new Set(['a1']) };
export const limits = { maxSizeRequest: 10_000, maxCallsInRequest: 4 };

export interface Run {
  result: ProcessResult;
  logged: { obj: object; msg: string }[];
}

/** Runs one request through the engine with a registry of the given modules and a capturing logger. */
export async function run(body: unknown, registry: MethodRegistry = createRegistry(), state: string | (() => string) = 'S1'): Promise<Run> {
  const logged: Run['logged'] = [];
  const result = await processRequest(body, baseCtx, registry, limits, { sessionState: typeof state === 'string' ? () => state : state, log: { error: (obj, msg) => logged.push({ obj, msg }) } });
  return { result, logged };
}

export const req = (methodCalls: unknown[], using: string[] = [CORE], extra: Record<string, unknown> = {}) => ({ using, methodCalls, ...extra });

export function responses(r: Run) {
  if (!r.result.ok) throw new Error(`request failed: ${JSON.stringify(r.result.body)}`);
  return r.result.body.methodResponses;
}

export const withMethods = (...modules: MethodModule[]) => createRegistry(...modules);
