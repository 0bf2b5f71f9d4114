/**
 * The limits of urn:ietf:params:jmap:core (RFC 8620 §2). They are advertised in the Session
 * and enforced by the engine, the HTTP layer and the /get and /set handlers, so all read them here.
 */
export interface JmapLimits {
  maxSizeUpload: number;
  maxConcurrentUpload: number;
  maxSizeRequest: number;
  maxConcurrentRequests: number;
  maxCallsInRequest: number;
  maxObjectsInGet: number;
  maxObjectsInSet: number;
  collationAlgorithms: string[];
}

export const MAX_SIZE_REQUEST = 10_000_000;
export const MAX_CONCURRENT_REQUESTS = 8;
export const MAX_CALLS_IN_REQUEST = 64;
export const MAX_OBJECTS_IN_GET = 1000;
export const MAX_OBJECTS_IN_SET = 1000;
export const MAX_CONCURRENT_UPLOAD = 4;
export const COLLATION_ALGORITHMS = ['i;ascii-numeric', 'i;ascii-casemap', 'i;unicode-casemap'];

/** Uploads become messages, so they share the one message size limit of every ingest path. */
export function jmapLimits(config: { maxMessageSize: number }, overrides: Partial<JmapLimits> = {}): JmapLimits {
  return {
    maxSizeUpload: config.maxMessageSize,
    maxConcurrentUpload: MAX_CONCURRENT_UPLOAD,
    maxSizeRequest: MAX_SIZE_REQUEST,
    maxConcurrentRequests: MAX_CONCURRENT_REQUESTS,
    maxCallsInRequest: MAX_CALLS_IN_REQUEST,
    maxObjectsInGet: MAX_OBJECTS_IN_GET,
    maxObjectsInSet: MAX_OBJECTS_IN_SET,
    collationAlgorithms: [...COLLATION_ALGORITHMS],
    ...overrides,
  };
}
