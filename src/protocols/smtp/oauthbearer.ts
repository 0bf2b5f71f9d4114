import type { SMTPServerAuthentication, SMTPServerAuthenticationResponse, SMTPServerSession } from 'smtp-server';
import { parseOauthBearer, SaslOAuthError } from '../shared/sasl-oauth.ts';

type Done = () => void;

/** The parts of an smtp-server connection AUTH uses; its SASL table has no OAUTHBEARER to extend. */
interface SaslConnection {
  session: SMTPServerSession;
  send(code: number, text?: string): void;
  handler_AUTH(command: Buffer, callback: Done): void;
  _nextHandler: ((line: Buffer, callback: Done) => void) | false;
  _transmissionType(): string;
  _server: {
    options: { authMethods?: string[] };
    onAuth(auth: SMTPServerAuthentication, session: SMTPServerSession, callback: (err: (Error & { responseCode?: number }) | null | undefined, response?: SMTPServerAuthenticationResponse) => void): void;
  };
}

/**
 * AUTH OAUTHBEARER (RFC 7628 §4.1) on an smtp-server connection, handed to the server's onAuth
 * like XOAUTH2 (method 'OAUTHBEARER', username = the authzid or '', accessToken): on failure
 * onAuth's `data` goes out as the 334 error challenge and the client's answer gets 535.
 */
export function withOAuthBearer(connection: unknown): void {
  const conn = connection as SaslConnection;
  const next = conn.handler_AUTH.bind(conn);
  conn.handler_AUTH = (command, callback) => {
    const args = command.toString().trim().split(/\s+/);
    if ((args[1] ?? '').toUpperCase() !== 'OAUTHBEARER' || !conn._server.options.authMethods?.includes('OAUTHBEARER')) return next(command, callback);
    if (conn.session.user) {
      conn.send(503, 'Error: No identity changes permitted');
      return callback();
    }
    if (args.length > 3) {
      conn.send(501, 'Error: syntax: AUTH OAUTHBEARER token');
      return callback();
    }
    const respond = (line: string, done: Done) => {
      if (line === '*') {
        conn.send(501, 'Authentication aborted');
        return done();
      }
      let parsed;
      try {
        parsed = parseOauthBearer(Buffer.from(line, 'base64'));
      } catch (err) {
        if (!(err instanceof SaslOAuthError)) throw err;
        conn.send(501, `5.5.2 ${err.message}`);
        return done();
      }
      const auth = { method: 'OAUTHBEARER', username: parsed.user ?? '', accessToken: parsed.token } as unknown as SMTPServerAuthentication;
      conn._server.onAuth(auth, conn.session, (err, response) => {
        if (err) {
          conn.send(err.responseCode ?? 535, err.message);
          return done();
        }
        if (!response?.user) {
          conn._nextHandler = (_ack, finish) => {
            conn.send(535, '5.7.8 Authentication credentials invalid');
            finish();
          };
          conn.send(334, Buffer.from(JSON.stringify(response?.data ?? {})).toString('base64'));
          return done();
        }
        conn.session.user = response.user;
        conn.session.transmissionType = conn._transmissionType();
        conn.send(235, '2.7.0 Authentication successful');
        done();
      });
    };
    if (args.length === 2) {
      conn._nextHandler = (line, done) => respond(line.toString().trim(), done);
      conn.send(334);
      return callback();
    }
    respond(args[2], callback);
  };
}
