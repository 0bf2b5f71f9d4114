import { MAIL, type MethodRegistry } from '../types.ts';
import { emailChanges, emailGet, emailSet } from './email.ts';
import { emailQuery } from './email-query.ts';
import { emailParse } from './email-parse.ts';
import { emailImport } from './email-import.ts';
import { emailCopy } from './email-copy.ts';
import { mailboxChanges, mailboxGet, mailboxQuery, mailboxSet } from './mailbox.ts';
import { emailQueryChanges, mailboxQueryChanges } from './query-changes.ts';
import { searchSnippetGet } from './snippet.ts';
import { threadChanges, threadGet } from './thread.ts';

/** The urn:ietf:params:jmap:mail methods (RFC 8621) implemented so far. */
export function registerMailMethods(registry: MethodRegistry): void {
  const methods = {
    'Mailbox/get': mailboxGet,
    'Mailbox/changes': mailboxChanges,
    'Mailbox/query': mailboxQuery,
    'Mailbox/set': mailboxSet,
    'Thread/get': threadGet,
    'Thread/changes': threadChanges,
    'Email/get': emailGet,
    'Email/changes': emailChanges,
    'Email/query': emailQuery,
    'Email/set': emailSet,
    'Email/import': emailImport,
    'Email/copy': emailCopy,
    'Email/parse': emailParse,
    'Email/queryChanges': emailQueryChanges,
    'Mailbox/queryChanges': mailboxQueryChanges,
    'SearchSnippet/get': searchSnippetGet,
  };
  for (const [name, handler] of Object.entries(methods)) registry.set(name, { capability: MAIL, handler });
}
