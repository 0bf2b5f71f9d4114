/** Request-level errors (RFC 8620 §3.6.1): the whole request is refused with problem details. */
export type RequestProblemType = 'notJSON' | 'notRequest' | 'unknownCapability' | 'limit';

export interface RequestProblem {
  type: `urn:ietf:params:jmap:error:${RequestProblemType}`;
  status: number;
  detail: string;
  /** The name of the limit that was applied, present exactly when type is …:limit. */
  limit?: string;
}

export function requestProblem(type: RequestProblemType, detail: string, limit?: string): RequestProblem {
  return { type: `urn:ietf:params:jmap:error:${type}`, status: 400, detail, ...(limit ? { limit } : {}) };
}

export const limitProblem = (limit: string, detail: string): RequestProblem => requestProblem('limit', detail, limit);
