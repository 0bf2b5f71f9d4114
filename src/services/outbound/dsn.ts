import { randomBytes } from 'node:crypto';
import { scanHeaders } from '../../mime/headers.ts';

/**
 * RFC 3464 §2.3.3. `relayed`: accepted by a remote server. Gannet does not pass the DSN request on
 * to it (RFC 3461 §6.2.6.2), so no one will report the final delivery.
 */
export type DsnAction = 'failed' | 'delayed' | 'delivered' | 'relayed';
export type NotifyCondition = 'SUCCESS' | 'FAILURE' | 'DELAY';

/** What the client asked for with RFC 3461's parameters on MAIL FROM and RCPT TO. */
export interface DsnRequest {
  ret?: 'FULL' | 'HDRS';
  envid?: string;
  /** By recipient address (lower case). */
  recipients?: Record<string, { notify?: string[]; orcpt?: string }>;
}

export interface RecipientReport {
  address: string;
  /** "addr-type;address" as the client gave it in ORCPT. */
  orcpt: string | null;
  action: DsnAction;
  /** The last reply: an SMTP reply from a remote server, or local delivery's reason. */
  response: string;
  /** The host that gave the reply, for remote attempts. */
  remoteMta: string | null;
  /** The queue gave up because the message expired, not because of a 5xx. */
  expired: boolean;
  lastAttemptAt: number;
  willRetryUntil: number | null;
}

export interface DsnInput {
  hostname: string;
  /** The original's envelope sender, who receives the DSN. */
  to: string;
  envid: string | null;
  ret: string | null;
  arrivalDate: number;
  recipients: RecipientReport[];
  /** The original message; undefined when its bytes could not be read. */
  original?: Buffer;
}

/** RFC 3461 §4.1: a recipient asks for nothing (NEVER), or some of three conditions; none given means FAILURE,DELAY. */
export function wants(notify: string | null, condition: NotifyCondition): boolean {
  if (notify === null) return condition !== 'SUCCESS';
  return notify.split(',').includes(condition);
}

const ascii = (s: string) => s.replace(/[^\x20-\x7e]/g, '?');

/** RFC 3461 §4: xtext, for ENVID as the DSN reports it. */
const xtext = (s: string) => Buffer.from(s, 'utf8').reduce((out, b) => out + (b < 0x21 || b > 0x7e || b === 0x2b || b === 0x3d ? `+${b.toString(16).toUpperCase().padStart(2, '0')}` : String.fromCharCode(b)), '');

/** An enhanced status code (RFC 3463) from the reply, or one that says what happened. */
function statusOf(r: RecipientReport): string {
  const found = /^\d{3}[ -]([245]\.\d{1,3}\.\d{1,3})\b/.exec(r.response)?.[1];
  if (r.action === 'delivered' || r.action === 'relayed') return found?.startsWith('2') ? found : '2.0.0';
  if (r.action === 'failed' && r.expired) return '4.4.7';
  if (found && found[0] === (r.action === 'failed' ? '5' : '4')) return found;
  return r.action === 'failed' ? '5.0.0' : '4.0.0';
}

/** Diagnostic-Code: an SMTP reply as such; local delivery's reason under Gannet's own type. */
function diagnostic(response: string): string {
  const text = ascii(response.replace(/\r?\n/g, ' ')).slice(0, 900);
  return /^\d{3}\b/.test(text) ? `smtp; ${text}` : `X-Gannet; ${text}`;
}

const SUBJECTS: Record<DsnAction, string> = {
  failed: 'Undelivered Mail Returned to Sender',
  delayed: 'Delayed Mail (still being retried)',
  delivered: 'Successful Mail Delivery Report',
  relayed: 'Successful Mail Delivery Report',
};

function humanText(d: DsnInput): string {
  const lines = [`This is the mail system at ${d.hostname}.`, ''];
  const group = (action: DsnAction, intro: string) => {
    const rs = d.recipients.filter((r) => r.action === action);
    if (rs.length === 0) return;
    lines.push(intro, '');
    for (const r of rs) lines.push(`  <${ascii(r.address)}>: ${r.expired ? 'gave up after retrying until the message expired; last reply: ' : ''}${ascii(r.response)}`);
    lines.push('');
  };
  group('failed', 'Your message could not be delivered to these recipients:');
  group('delayed', 'Your message has not been delivered to these recipients yet. The mail system keeps trying; you need not send it again:');
  group('delivered', 'Your message was delivered to these recipients:');
  group('relayed', "Your message was handed to these recipients' mail servers, which will not report its delivery:");
  lines.push(d.original ? 'The message, or its header, is attached.' : 'The message could not be attached.');
  return lines.join('\r\n') + '\r\n';
}

function statusFields(d: DsnInput): string {
  const date = (ms: number) => new Date(ms).toUTCString().replace('GMT', '+0000');
  const head = [`Reporting-MTA: dns; ${d.hostname}`];
  if (d.envid !== null) head.push(`Original-Envelope-Id: ${xtext(d.envid)}`);
  head.push(`Arrival-Date: ${date(d.arrivalDate)}`);
  const blocks = d.recipients.map((r) => {
    const f: string[] = [];
    if (r.orcpt) f.push(`Original-Recipient: ${ascii(r.orcpt)}`);
    f.push(`Final-Recipient: rfc822; ${ascii(r.address)}`, `Action: ${r.action}`, `Status: ${statusOf(r)}`);
    if (r.remoteMta) f.push(`Remote-MTA: dns; ${ascii(r.remoteMta)}`);
    f.push(`Diagnostic-Code: ${diagnostic(r.response)}`, `Last-Attempt-Date: ${date(r.lastAttemptAt)}`);
    if (r.willRetryUntil !== null) f.push(`Will-Retry-Until: ${date(r.willRetryUntil)}`);
    return f.join('\r\n');
  });
  return [head.join('\r\n'), ...blocks].join('\r\n\r\n') + '\r\n';
}

/** The original's header block with its blank separator line. */
const headerOf = (raw: Buffer) => raw.subarray(0, scanHeaders(raw, 0, raw.length).headerEnd);

/**
 * A delivery status notification (RFC 3464): multipart/report with a human-readable part, the
 * machine-readable message/delivery-status, and the original. The whole message goes back only
 * in a failure report and unless the client asked for headers (RET=HDRS); success and delay
 * reports carry the header alone (RFC 3461 §4.3). Sent from the null sender, so it never
 * bounces itself.
 */
export function composeDsn(d: DsnInput): Buffer {
  const boundary = `dsn-${randomBytes(12).toString('hex')}`;
  const worst: DsnAction = d.recipients.some((r) => r.action === 'failed') ? 'failed' : d.recipients.some((r) => r.action === 'delayed') ? 'delayed' : d.recipients.some((r) => r.action === 'relayed') ? 'relayed' : 'delivered';
  const full = worst === 'failed' && d.ret !== 'HDRS';
  const head = [
    `From: Mail Delivery System <MAILER-DAEMON@${d.hostname}>`,
    `To: <${d.to}>`,
    `Subject: ${SUBJECTS[worst]}`,
    `Date: ${new Date().toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <dsn.${Date.now().toString(36)}.${randomBytes(6).toString('hex')}@${d.hostname}>`,
    // RFC 3834 §5: a DSN is an automatic response; responders must not answer it.
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=delivery-status; boundary="${boundary}"`,
  ];
  const parts: Buffer[] = [
    Buffer.from(`${head.join('\r\n')}\r\n\r\nThis is a MIME-encapsulated delivery status notification.\r\n`),
    Buffer.from(`--${boundary}\r\nContent-Type: text/plain; charset=us-ascii\r\nContent-Description: Notification\r\n\r\n${humanText(d)}`),
    Buffer.from(`--${boundary}\r\nContent-Type: message/delivery-status\r\nContent-Description: Delivery report\r\n\r\n${statusFields(d)}`),
  ];
  if (d.original) {
    const type = full ? 'message/rfc822' : 'text/rfc822-headers';
    parts.push(Buffer.from(`--${boundary}\r\nContent-Type: ${type}\r\nContent-Description: ${full ? 'Undelivered message' : 'Message header'}\r\n\r\n`));
    const body = full ? d.original : headerOf(d.original);
    parts.push(body, Buffer.from(body.subarray(-2).toString() === '\r\n' ? '' : '\r\n'));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(parts);
}
