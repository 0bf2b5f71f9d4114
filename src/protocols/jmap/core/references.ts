import { MethodError, type Args } from '../types.ts';
import { evaluatePointer, PointerError } from './pointer.ts';
import { isPlainObject, type Invocation } from './request.ts';

const NONE: ReadonlySet<string> = new Set();

/**
 * Replaces every "#name" argument by the value its ResultReference points at in the
 * responses produced so far (RFC 8620 §3.7). Returns a new arguments object. A reference to a
 * call id in `pending` (calls forwarded together, whose responses are not in yet) is left for
 * the server that runs them; one that an earlier response answers is resolved here, as always.
 */
export function resolveReferences(args: Args, responses: readonly Invocation[], pending: ReadonlySet<string> = NONE): Args {
  const keys = Object.keys(args);
  for (const key of keys) {
    if (key.startsWith('#') && Object.hasOwn(args, key.slice(1))) {
      throw new MethodError('invalidArguments', `"${key.slice(1)}" is given both directly and as the result reference "${key}"`);
    }
  }
  if (!keys.some((k) => k.startsWith('#'))) return args;
  const kept = (ref: unknown) => isPlainObject(ref) && typeof ref.resultOf === 'string' && pending.has(ref.resultOf) && !responses.some((r) => r[2] === ref.resultOf);
  // fromEntries defines own properties, so a "__proto__" argument stays data instead of becoming a prototype.
  return Object.fromEntries(
    keys.map((key) => (!key.startsWith('#') || kept(args[key]) ? [key, args[key]] : [key.slice(1), resolveOne(key, args[key], responses)])),
  );
}

function resolveOne(key: string, ref: unknown, responses: readonly Invocation[]): unknown {
  if (!isPlainObject(ref) || typeof ref.resultOf !== 'string' || typeof ref.name !== 'string' || typeof ref.path !== 'string') {
    throw new MethodError('invalidResultReference', `"${key}" must be a ResultReference {resultOf, name, path}`);
  }
  const source = responses.find((r) => r[2] === ref.resultOf);
  if (!source) throw new MethodError('invalidResultReference', `"${key}": no earlier response has method call id "${ref.resultOf}"`);
  if (source[0] !== ref.name) {
    throw new MethodError('invalidResultReference', `"${key}": the response to "${ref.resultOf}" is "${source[0]}", not "${ref.name}"`);
  }
  try {
    return evaluatePointer(source[1], ref.path);
  } catch (err) {
    if (err instanceof PointerError) throw new MethodError('invalidResultReference', `"${key}": ${err.message}`);
    throw err;
  }
}
