import type { FastifyReply } from 'fastify';
import type { RequestProblem } from '../../jmap/core/problems.ts';

/** JMAP request-level errors are problem details too (RFC 8620 §3.6.1), with JMAP's own type URNs. */
export function sendJmapProblem(reply: FastifyReply, problem: RequestProblem): FastifyReply {
  return reply.code(problem.status).type('application/problem+json').send(problem);
}
