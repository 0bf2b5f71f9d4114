import type { Socket } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { withOAuthBearer } from './oauthbearer.ts';
import { replies } from './replies.ts';

type Connection = SMTPServer['connections'] extends Set<infer C> ? C : never;

// An enhanced status code at the start of a reply text: one of our SmtpReply messages.
const OWN_ENHANCED_CODE = /^[245]\.\d{1,3}\.\d{1,3} /;

/**
 * smtp-server with two corrections per connection (smtp-server 3.21 has no option for them):
 *
 * - With ENHANCEDSTATUSCODES on, smtp-server derives the enhanced code of an application's
 *   rejection from the basic code alone (554 → 5.6.0, 552 → 5.2.2, 501 → 5.5.4), which is
 *   wrong for relay denial, size and address syntax. Replies whose text already starts with
 *   an enhanced code are sent as they are; the library's own replies keep its codes.
 * - DATA takes no arguments (RFC 5321 §4.1.1.4), but smtp-server starts data mode for
 *   `DATA <anything>`; a confused client would then have its next commands stored as mail.
 * - Its `allowInsecureAuth` is one switch for every client; `plaintextAuth: loopback` needs a
 *   decision per connection, made before the client sends its password.
 */
export class MailServer extends SMTPServer {
  /** Submission: whether AUTH may go ahead before STARTTLS for this peer. Unset: no AUTH gate. */
  plaintextAuth?: (remoteAddress: string) => boolean;

  override connect(socket: Socket, socketOptions?: Parameters<SMTPServer['connect']>[1]): void {
    super.connect(socket, socketOptions);
    // connect() adds the new connection last and sends nothing before returning.
    let newest: Connection | undefined;
    for (const c of this.connections) newest = c;
    if (newest) adapt(newest, this.plaintextAuth);
  }
}

function adapt(conn: Connection, plaintextAuth?: (remoteAddress: string) => boolean): void {
  const send = conn.send.bind(conn);
  conn.send = (code, data, context) => send(code, data, typeof data === 'string' && OWN_ENHANCED_CODE.test(data) ? false : context);

  const data = conn.handler_DATA.bind(conn);
  conn.handler_DATA = (command, callback) => {
    if (command.toString().trim().toUpperCase() !== 'DATA') {
      conn.send(501, replies.dataArguments().message);
      return callback();
    }
    data(command, callback);
  };

  // Before the plaintext gate below, which must also guard OAUTHBEARER.
  withOAuthBearer(conn);
  if (!plaintextAuth) return;
  const auth = conn.handler_AUTH.bind(conn);
  conn.handler_AUTH = (command, callback) => {
    if (!conn.secure && !plaintextAuth(conn.remoteAddress)) {
      conn.send(538, replies.encryptionRequired().message);
      return callback();
    }
    auth(command, callback);
  };
}
