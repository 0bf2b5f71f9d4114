import { CORE, type MethodDefinition, type MethodRegistry } from '../types.ts';

/** A capability's handlers add themselves, e.g. registerMailMethods(registry). */
export type MethodModule = (registry: MethodRegistry) => void;

/** RFC 8620 §4: the arguments, returned unchanged. */
export const echoMethod: MethodDefinition = { capability: CORE, handler: async (args) => args };

export function registerCoreMethods(registry: MethodRegistry): void {
  registry.set('Core/echo', echoMethod);
}

/** The core methods plus every given module; a module that redefines a method is a wiring mistake. */
export function createRegistry(...modules: MethodModule[]): MethodRegistry {
  const registry: MethodRegistry = new Map();
  registerCoreMethods(registry);
  for (const register of modules) {
    const before = new Set(registry.keys());
    const added: MethodRegistry = new Map();
    register(added);
    for (const [name, def] of added) {
      if (before.has(name)) throw new Error(`JMAP method ${name} is registered twice`);
      registry.set(name, def);
    }
  }
  return registry;
}

/** Capabilities with at least one method, core always first. */
export function capabilitiesOf(registry: MethodRegistry): string[] {
  const caps = new Set<string>([CORE]);
  for (const { capability } of registry.values()) caps.add(capability);
  return [CORE, ...[...caps].filter((c) => c !== CORE).sort()];
}

/** Data type names the registry serves (Foo for Foo/get), for push and state catch-up. */
export function dataTypesOf(registry: MethodRegistry): string[] {
  const types = new Set<string>();
  // Types with state a client can sync: those with /changes (Blob and PushSubscription have none).
  for (const name of registry.keys()) if (name.endsWith('/changes')) types.add(name.slice(0, -8));
  // RFC 8621 §1.5: a mail server also pushes EmailDelivery, a type with push state but no methods.
  if (types.has('Email')) types.add('EmailDelivery');
  return [...types].sort();
}
