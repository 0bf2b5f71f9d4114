import type { ErrorObject } from 'ajv';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ServiceError, type ServiceErrorCode } from '../../../../services/errors.ts';

/**
 * IMAP2API's error bodies are Django REST framework's: `{"detail": "…"}` for authentication,
 * permission, not-found and server errors, `{"field": ["message", …]}` for invalid input.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
  ) {
    super(typeof body.detail === 'string' ? body.detail : JSON.stringify(body));
  }
}

export const detail = (status: number, message: string) => new ApiError(status, { detail: message });
export const fieldErrors = (errors: Record<string, string[]>) => new ApiError(400, errors);
export const NOT_FOUND = 'Not found.';
export const FORBIDDEN = 'You do not have permission to perform this action.';

const STATUS: Record<Exclude<ServiceErrorCode, 'invalid' | 'conflict' | 'notFound' | 'forbidden'>, number> = {
  unauthenticated: 401,
  overQuota: 507,
  tooLarge: 413,
  unavailable: 503,
  upstream: 502,
};

/** Field names of the services' errors as this API names them. */
export type FieldNames = Record<string, string>;

export function fromService(err: ServiceError, names: FieldNames = {}): ApiError {
  if (err.code === 'invalid' || err.code === 'conflict') {
    if (err.fields.length === 0) return fieldErrors({ non_field_errors: [err.message] });
    const out: Record<string, string[]> = {};
    for (const f of err.fields) (out[names[f.field] ?? f.field] ??= []).push(sentence(f.message));
    return fieldErrors(out);
  }
  if (err.code === 'notFound') return detail(404, NOT_FOUND);
  if (err.code === 'forbidden') return detail(403, FORBIDDEN);
  return detail(STATUS[err.code], err.message);
}

const sentence = (s: string) => {
  const t = s.charAt(0).toUpperCase() + s.slice(1);
  return /[.!?]$/.test(t) ? t : `${t}.`;
};

/** Ajv's errors in DRF's words, one message per field. */
function validationErrors(errors: ErrorObject[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const e of errors) {
    const p = e.params as Record<string, unknown>;
    const field = e.keyword === 'required' ? String(p.missingProperty) : e.instancePath.replace(/^\//, '').replace(/\//g, '.') || 'non_field_errors';
    if (out[field]) continue;
    out[field] = [message(e.keyword, p)];
  }
  return out;
}

function message(keyword: string, p: Record<string, unknown>): string {
  switch (keyword) {
    case 'required':
      return 'This field is required.';
    case 'type': {
      const t = String(p.type);
      if (t.startsWith('integer')) return 'A valid integer is required.';
      if (t.startsWith('boolean')) return 'Must be a valid boolean.';
      if (t.startsWith('string')) return 'Not a valid string.';
      if (t === 'object') return 'Invalid data. Expected a dictionary.';
      return `Expected ${t.replace(',', ' or ')}.`;
    }
    case 'minLength':
      return p.limit === 1 ? 'This field may not be blank.' : `Ensure this field has at least ${p.limit} characters.`;
    case 'maxLength':
      return `Ensure this field has no more than ${p.limit} characters.`;
    case 'minimum':
      return `Ensure this value is greater than or equal to ${p.limit}.`;
    case 'maximum':
      return `Ensure this value is less than or equal to ${p.limit}.`;
    case 'enum':
      return `Not a valid choice: use one of ${(p.allowedValues as unknown[]).join(', ')}.`;
    default:
      return 'Invalid value.';
  }
}

export function sendError(reply: FastifyReply, err: ApiError): FastifyReply {
  if (err.status === 401) reply.header('www-authenticate', 'Token');
  return reply.code(err.status).send(err.body);
}

/** Every error of the API in its shapes; what is not the client's fault is logged and not echoed. */
export function handleError(err: FastifyError | Error, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (err instanceof ApiError) return sendError(reply, err);
  if (err instanceof ServiceError) return sendError(reply, fromService(err));
  const e = err as FastifyError & { validation?: ErrorObject[] };
  if (e.validation) return sendError(reply, fieldErrors(validationErrors(e.validation)));
  if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendError(reply, detail(413, 'Request body is too large.'));
  if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return sendError(reply, detail(415, `Unsupported media type "${req.headers['content-type'] ?? ''}" in request.`));
  if (e.statusCode === 400) return sendError(reply, detail(400, `JSON parse error - ${e.message}`));
  if (e.statusCode && e.statusCode > 400 && e.statusCode < 500) return sendError(reply, detail(e.statusCode, e.message));
  req.log.error({ err }, 'imap2api request failed');
  return sendError(reply, detail(500, 'Internal server error.'));
}
