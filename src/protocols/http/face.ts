/** The JMAP resources; every other HTTP path is the API face. */
const JMAP_PATH = /^\/(jmap|session|eventsource|upload|download|raw|\.well-known\/jmap)(\/|\?|$)/;

/**
 * Which face an HTTP request is on: what an app password's scopes, an OAuth token's scope and
 * the `<face>-authenticate` permission are checked against.
 */
export const httpFace = (url: string): 'jmap' | 'api' => (JMAP_PATH.test(url) ? 'jmap' : 'api');
