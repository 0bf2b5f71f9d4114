import { ServiceError } from '../../../services/errors.ts';
import { MethodError } from '../types.ts';

/** A service error as a JMAP SetError (RFC 8620 §5.3). */
export function setError(err: unknown): { type: string; description?: string; properties?: string[] } {
  if (err instanceof MethodError) return { type: err.type, description: err.message, ...err.extra };
  if (!(err instanceof ServiceError)) throw err;
  switch (err.code) {
    case 'notFound':
      return { type: 'notFound', description: err.message };
    case 'conflict':
      return { type: 'alreadyExists', description: err.message };
    case 'overQuota':
      return { type: 'overQuota', description: err.message };
    case 'tooLarge':
      return { type: 'tooLarge', description: err.message };
    case 'forbidden':
      return { type: 'forbidden', description: err.message };
    default:
      return { type: 'invalidProperties', description: err.message, ...(err.fields.length ? { properties: err.fields.map((f) => f.field) } : {}) };
  }
}
