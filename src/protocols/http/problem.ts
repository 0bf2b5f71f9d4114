import type { FastifyReply } from 'fastify';
import type { FieldError, ServiceErrorCode } from '../../services/errors.ts';

/** RFC 9457 problem details: the one error shape of the HTTP API. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldError[];
}

const BY_CODE: Record<ServiceErrorCode, { status: number; title: string }> = {
  invalid: { status: 400, title: 'Invalid request' },
  unauthenticated: { status: 401, title: 'Authentication required' },
  forbidden: { status: 403, title: 'Forbidden' },
  notFound: { status: 404, title: 'Not found' },
  conflict: { status: 409, title: 'Conflict' },
  tooLarge: { status: 413, title: 'Content too large' },
  overQuota: { status: 507, title: 'Over quota' },
  unavailable: { status: 503, title: 'Service unavailable' },
  upstream: { status: 502, title: 'Upstream server failed' },
};

const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());

export function problemFor(code: ServiceErrorCode, detail: string, errors?: FieldError[]): Problem {
  const { status, title } = BY_CODE[code];
  return { type: `urn:gannet:problem:${kebab(code)}`, title, status, detail, ...(errors && errors.length > 0 ? { errors } : {}) };
}

export function sendProblem(reply: FastifyReply, problem: Problem): FastifyReply {
  return reply.code(problem.status).type('application/problem+json').send(problem);
}
