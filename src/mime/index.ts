// Public surface of the MIME module.
export type { Attachment, EmailAddress, HeaderField, MimePart, ParsedMessage } from './types.ts';
export { parseMessage, findPart, listPartIds, walkParts, MAX_SEARCH_TEXT } from './parse.ts';
export { decodePartBody, decodePartText } from './decode.ts';
export { normalizeSubject, isReplyOrForward } from './thread-keys.ts';
