/**
 * The errors services raise. Each protocol maps the code to its own wire form (HTTP problem
 * details, SMTP reply codes, IMAP response codes), so the rule lives here once.
 */
export type ServiceErrorCode =
  | 'invalid' // the request is malformed or a value is out of range
  | 'notFound' // no such object, or not visible to the caller
  | 'conflict' // already exists, or the object is in use
  | 'forbidden' // authenticated, but not allowed
  | 'unauthenticated'
  | 'overQuota'
  | 'tooLarge'
  | 'unavailable' // a transient failure: try again later
  | 'upstream'; // the upstream server of a mirrored account refused or failed

export interface FieldError {
  field: string;
  message: string;
}

export class ServiceError extends Error {
  constructor(
    readonly code: ServiceErrorCode,
    message: string,
    readonly fields: FieldError[] = [],
  ) {
    super(message);
    this.name = 'ServiceError';
  }
}

export const notFound = (what: string) => new ServiceError('notFound', `${what} not found`);
export const invalid = (field: string, message: string) => new ServiceError('invalid', `${field}: ${message}`, [{ field, message }]);
export const conflict = (message: string) => new ServiceError('conflict', message);
