import type { Args } from '../types.ts';
import { requestProblem, type RequestProblem } from './problems.ts';

/** A method call as sent: [name, arguments, method call id] (RFC 8620 §3.2). */
export type Invocation = [string, Args, string];

export interface JmapRequest {
  using: string[];
  methodCalls: Invocation[];
  createdIds?: Record<string, string>;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; problem: RequestProblem };

const utf8 = new TextDecoder('utf-8', { fatal: true });

export const isPlainObject = (v: unknown): v is Args => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Bytes → JSON. I-JSON (RFC 7493) requires UTF-8, so malformed byte sequences are refused
 * instead of being silently replaced.
 */
export function parseJson(body: Uint8Array | string): Parsed<unknown> {
  let text: string;
  try {
    text = typeof body === 'string' ? body : utf8.decode(body);
  } catch {
    return { ok: false, problem: requestProblem('notJSON', 'the request body is not valid UTF-8') };
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    return { ok: false, problem: requestProblem('notJSON', `the request body is not JSON: ${(err as Error).message}`) };
  }
}

const notRequest = (detail: string): Parsed<JmapRequest> => ({ ok: false, problem: requestProblem('notRequest', detail) });

/** Checks the type signature of the Request object; properties it does not know are ignored (§3.3). */
export function parseRequest(value: unknown): Parsed<JmapRequest> {
  if (!isPlainObject(value)) return notRequest('the request must be a JSON object with "using" and "methodCalls"');
  const { using, methodCalls, createdIds } = value;
  if (!Array.isArray(using) || !using.every((u) => typeof u === 'string')) return notRequest('"using" must be an array of capability strings');
  if (!Array.isArray(methodCalls)) return notRequest('"methodCalls" must be an array of invocations');
  for (const [i, call] of methodCalls.entries()) {
    if (!Array.isArray(call) || call.length !== 3 || typeof call[0] !== 'string' || !isPlainObject(call[1]) || typeof call[2] !== 'string') {
      return notRequest(`methodCalls[${i}] must be [name: string, arguments: object, methodCallId: string]`);
    }
  }
  if (createdIds !== undefined) {
    if (!isPlainObject(createdIds) || !Object.values(createdIds).every((id) => typeof id === 'string')) {
      return notRequest('"createdIds" must be an object mapping creation ids to ids');
    }
  }
  return {
    ok: true,
    value: { using: using as string[], methodCalls: methodCalls as Invocation[], ...(createdIds !== undefined ? { createdIds: createdIds as Record<string, string> } : {}) },
  };
}
