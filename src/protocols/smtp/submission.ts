import type { Logger } from 'pino';
import type { SMTPServerAddress, SMTPServerAuthentication, SMTPServerAuthenticationResponse, SMTPServerDataStream, SMTPServerSession } from 'smtp-server';
import { AuthRefused } from '../../services/auth/authenticate.ts';
import type { Principal } from '../../services/directory/pool.ts';
import { ServiceError } from '../../services/errors.ts';
import type { DsnRequest } from '../../services/outbound/dsn.ts';
import { SubmissionRefused } from '../../services/submission/submission.ts';
import type { TlsMaterial } from '../../tls.ts';
import type { Listener, ListenerContext } from '../shared/listener.ts';
import { plaintextAllowed } from '../shared/plaintext.ts';
import { recipientAddress, senderAddress } from './addresses.ts';
import { collectMessage } from './collect.ts';
import { commonOptions, listen } from './library-options.ts';
import { MailServer } from './mail-server.ts';
import { oauthAuth } from './oauth-auth.ts';
import { checkParameters } from './parameters.ts';
import { replies, replyFor, SmtpReply, type Stage } from './replies.ts';

type Callback = (err?: Error | null) => void;

/** Submission refusals on the wire: 553 for the envelope sender, 550 for the header, 451 when over the limit. */
function refusal(err: unknown, stage: Stage): SmtpReply {
  if (err instanceof SubmissionRefused) {
    if (err.reason === 'rateLimit') return new SmtpReply(451, '4.7.1', err.message);
    return new SmtpReply(err.reason === 'sender' ? 553 : 550, '5.7.1', err.message);
  }
  return replyFor(err, stage);
}

/** The DSN parameters smtp-server parsed (it leaves them out when DSN is hidden), by normalized recipient. */
function dsnRequest(session: SMTPServerSession, to: string[]): DsnRequest {
  type Parsed = { ret?: string | null; envid?: string | null };
  const mail = (session.envelope as { dsn?: Parsed }).dsn;
  const recipients: NonNullable<DsnRequest['recipients']> = {};
  session.envelope.rcptTo.forEach((r, i) => {
    const p = (r as { dsn?: { notify?: string[]; orcpt?: string } }).dsn;
    if (p) recipients[to[i].toLowerCase()] = { notify: p.notify, orcpt: p.orcpt };
  });
  return { ret: mail?.ret === 'FULL' || mail?.ret === 'HDRS' ? mail.ret : undefined, envid: mail?.envid ?? undefined, recipients };
}

const badCredentials = () => new SmtpReply(535, '5.7.8', 'Authentication credentials invalid');

/** RFC 4954: 454 while throttled (try later), 535 for any refused credential, a temporary failure for anything else. */
function authFailure(err: unknown): SmtpReply {
  if (err instanceof AuthRefused) return err.reason === 'throttled' ? new SmtpReply(454, '4.7.0', err.message) : new SmtpReply(535, '5.7.8', `Authentication credentials invalid: ${err.message}`);
  return replies.temporaryFailure();
}

/**
 * The submission listeners (RFC 6409, RFC 8314): submissionPort with STARTTLS, which AUTH must
 * follow unless `plaintextAuth` allows otherwise, and submissionsPort with TLS from the first
 * byte. Every transaction belongs to an authenticated user; SubmissionService decides the rest.
 */
export async function startSubmission(ctx: ListenerContext, tls: TlsMaterial): Promise<Listener[]> {
  const start = (name: 'submission' | 'submissions', port: number) => {
    const log = ctx.logger.child({ listener: name });
    const server = submissionServer(ctx, tls, name, log);
    return listen(server, name, port, ctx.config.listenAddress, log);
  };
  return [await start('submission', ctx.config.submissionPort), await start('submissions', ctx.config.submissionsPort)];
}

function submissionServer(ctx: ListenerContext, tls: TlsMaterial, name: 'submission' | 'submissions', log: Logger): MailServer {
  const { config, services, metrics } = ctx;
  const count = (command: 'MAIL' | 'RCPT' | 'DATA', code: number) => metrics.smtpReplies.inc({ protocol: name, command, code: String(code) });
  const principalOf = (session: SMTPServerSession) => session.user as unknown as Principal;
  const reject = (callback: Callback, command: 'MAIL' | 'RCPT' | 'DATA', reply: SmtpReply) => {
    count(command, reply.code);
    callback(reply);
  };

  const server = new MailServer({
    ...commonOptions(config, log),
    key: tls.key,
    cert: tls.cert,
    secure: name === 'submissions',
    authMethods: ['PLAIN', 'LOGIN', 'OAUTHBEARER', 'XOAUTH2'],
    // MailServer.plaintextAuth decides per connection, before the password is sent.
    allowInsecureAuth: true,
    authRequiredMessage: '5.7.0 Authentication required',
    disabledCommands: ['WIZ', 'SHELL', 'KILL'],
    // AUTH PLAIN carries a base64 password; RFC 4954 §4 allows 12288 octets for it.
    maxCommandLength: 16384,
    // RFC 3461: smtp-server checks RET, ENVID, NOTIFY and ORCPT and hands them over; the queue honours them.
    hideDSN: false,

    onAuth(auth: SMTPServerAuthentication, session: SMTPServerSession, callback: (err: Error | null | undefined, response?: SMTPServerAuthenticationResponse) => void) {
      if (auth.method === 'XOAUTH2' || (auth.method as string) === 'OAUTHBEARER') {
        return oauthAuth(services, auth, config.oauthIssuer, session.remoteAddress).then((response) => callback(null, response), () => callback(replies.temporaryFailure()));
      }
      const authzid = (auth as { authzid?: string }).authzid;
      // Acting as another user (a PLAIN authorization identity) is not offered.
      if (authzid && authzid !== auth.username) return callback(badCredentials());
      services.auth.authenticate({ login: auth.username ?? '', secret: auth.password ?? '', protocol: 'smtp', ip: session.remoteAddress, mechanism: auth.method }).then(
        ({ principal }) => callback(null, { user: principal as unknown as string }),
        (err: unknown) => callback(authFailure(err)),
      );
    },

    onMailFrom(address: SMTPServerAddress, session: SMTPServerSession, callback: Callback) {
      let sender: string;
      try {
        checkParameters(address, 'MAIL', true);
        sender = senderAddress(address.address, session.envelope.smtpUtf8 === true);
      } catch (err) {
        return reject(callback, 'MAIL', refusal(err, 'mail'));
      }
      services.submission.checkSender(principalOf(session), sender).then(
        () => {
          count('MAIL', 250);
          callback();
        },
        (err: unknown) => reject(callback, 'MAIL', refusal(err, 'mail')),
      );
    },

    onRcptTo(address: SMTPServerAddress, session: SMTPServerSession, callback: Callback) {
      const repeated = session.envelope.rcptTo.some((r) => r.address.toLowerCase() === address.address.toLowerCase());
      try {
        if (!repeated && session.envelope.rcptTo.length >= config.maxRecipients) throw replies.tooManyRecipients();
        checkParameters(address, 'RCPT', true);
        recipientAddress(address.address, session.envelope.smtpUtf8 === true, config.hostname);
        if (!repeated) services.submission.checkRate(principalOf(session), session.envelope.rcptTo.length);
      } catch (err) {
        return reject(callback, 'RCPT', refusal(err, 'rcpt'));
      }
      count('RCPT', 250);
      callback();
    },

    onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback: (err?: Error | null, message?: string) => void) {
      const utf8 = session.envelope.smtpUtf8 === true;
      // Both were checked when the client sent them; here they are only normalized again.
      const from = session.envelope.mailFrom ? senderAddress(session.envelope.mailFrom.address, utf8) : '';
      const to = session.envelope.rcptTo.map((r) => recipientAddress(r.address, utf8, config.hostname));
      const principal = principalOf(session);
      collectMessage(stream, config.maxMessageSize)
        .then(async (message) => {
          if (message.exceeded) throw replies.tooLarge(config.maxMessageSize);
          const sent = await services.submission.submit(principal, from, to, message.data, dsnRequest(session, to));
          log.info({ user: principal.username, from, recipients: to.length, size: sent.raw.length, queueId: sent.queueId }, 'submitted');
          count('DATA', 250);
          callback(null, `2.0.0 Ok: queued as ${sent.queueId}`);
        })
        .catch((err: unknown) => {
          if (!(err instanceof SmtpReply) && !(err instanceof ServiceError)) log.error({ err, user: principal.username }, 'submission failed');
          else log.info({ user: principal.username, from, err: (err as Error).message }, 'submission refused');
          reject(callback, 'DATA', refusal(err, 'data'));
        });
    },
  });
  server.plaintextAuth = (remoteAddress) => plaintextAllowed(config.plaintextAuth, false, remoteAddress);
  return server;
}
