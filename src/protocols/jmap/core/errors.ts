import { ServiceError } from '../../../services/errors.ts';
import { MethodError } from '../types.ts';

/** The arguments of an ["error", …] response or the SetError object of one record. */
export function errorObject(err: MethodError): Record<string, unknown> {
  const { type: _ignored, ...extra } = err.extra;
  return { type: err.type, ...(err.message !== err.type ? { description: err.message } : {}), ...extra };
}

/** SetError (RFC 8620 §5.3) for a record whose processing threw a MethodError. */
export const toSetError = errorObject;

/**
 * Service rules surface as the method error a client can act on; everything else is a
 * serverFail whose details stay in the log. Returns null for errors the engine must log.
 */
export function methodErrorFor(err: unknown): MethodError | null {
  if (err instanceof MethodError) return err;
  if (err instanceof ServiceError) {
    if (err.code === 'invalid') return new MethodError('invalidArguments', err.message);
    if (err.code === 'forbidden') return new MethodError('forbidden', err.message);
    if (err.code === 'unavailable') return new MethodError('serverUnavailable', err.message);
    // The upstream of a proxied account refused: its own words say why, and nothing is hidden.
    if (err.code === 'upstream') return new MethodError('serverFail', err.message);
  }
  return null;
}
