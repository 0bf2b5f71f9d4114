import type { Logger } from 'pino';
import type { Config } from '../../config/schema.ts';
import type { Principal } from '../../services/directory/pool.ts';
import type { MailboxUpdate } from '../../services/imap/selected.ts';
import type { SelectedMailbox } from '../../services/imap/selected.ts';
import type { Services } from '../../services/index.ts';
import { plaintextAllowed } from '../shared/plaintext.ts';
import { atom, type ImapData } from './data.ts';
import { flagAtoms } from './keywords.ts';
import type { Command } from './reader.ts';
import { formatSet } from './sequence.ts';
import { ByteSink } from './sink.ts';
import { writeItems } from './writer.ts';

export type SessionState = 'notauth' | 'auth' | 'selected' | 'logout';

/** What a session needs from its connection: writing, TLS, raw lines and closing. */
export interface Wire {
  /** Sends these bytes, in order, together; `taken` runs once nothing refers to them any more. */
  write(chunks: Buffer[], taken?: () => void): void;
  readonly secure: boolean;
  readonly remoteAddress: string;
  /** Switches to TLS after the tagged OK to STARTTLS has been written. */
  startTls(): Promise<void>;
  readonly compressed: boolean;
  /** Resolves once the socket can take more (a client that stops reading pauses us). */
  drained(): Promise<void>;
  /** Starts COMPRESS=DEFLATE after the tagged OK has been written. */
  startCompression(): void;
  /** The next client line is handed over raw (AUTHENTICATE responses, IDLE's DONE). */
  nextRawLine(): Promise<string>;
  close(): void;
}

export interface SessionContext {
  services: Services;
  config: Config;
  logger: Logger;
}

/**
 * The state of one IMAP connection (RFC 9051 §3) and the ways commands answer. Commands live in
 * commands/, one file per group; they read and change this state and never touch the store.
 */
export class ImapSession {
  state: SessionState = 'notauth';
  principal: Principal | null = null;
  selected: SelectedMailbox | null = null;
  /** Extensions the client ENABLEd (upper case). */
  readonly enabled = new Set<string>();
  /** The SEARCHRES result (UIDs) that "$" stands for. */
  saved: number[] = [];

  constructor(
    readonly wire: Wire,
    readonly ctx: SessionContext,
  ) {}

  get services(): Services {
    return this.ctx.services;
  }

  get accountId(): string {
    return this.principal!.accountId;
  }

  get utf8(): boolean {
    return this.enabled.has('UTF8=ACCEPT') || this.enabled.has('IMAP4REV2');
  }

  get condstore(): boolean {
    return this.enabled.has('CONDSTORE') || this.enabled.has('QRESYNC');
  }


  /** Plain-text credentials are refused on an unencrypted connection unless the config allows them. */
  get plaintextAllowed(): boolean {
    return plaintextAllowed(this.ctx.config.plaintextAuth, this.wire.secure, this.wire.remoteAddress);
  }

  /** Responses are assembled here and sent line by line, or a round at a time while corked. */
  private readonly out = new ByteSink();
  private corked = false;

  private emit(taken?: () => void): void {
    if (!this.corked) this.wire.write(this.out.take(), taken);
  }

  /** Holds responses back to send them together (a round of FETCH responses in one write). */
  cork(): void {
    this.corked = true;
  }

  /**
   * Sends what cork() held; resolves once the client has taken enough of it to send more.
   * `taken` runs once the connection no longer holds those bytes (lent memory can be reused).
   */
  async flush(taken?: () => void): Promise<void> {
    this.corked = false;
    this.emit(taken);
    await this.wire.drained();
  }

  untagged(...items: ImapData[]): void {
    this.out.latin1('* ');
    writeItems(items, { utf8: this.utf8 }, this.out);
    this.out.latin1('\r\n');
    this.emit();
  }

  /** A whole untagged line of text after "* " (THREAD's answer, built by its own renderer). */
  untaggedLine(text: string): void {
    this.out.utf8(`* ${text}\r\n`);
    this.emit();
  }

  /** An untagged status line with free text: "* OK [CODE] text". */
  status(kind: 'OK' | 'NO' | 'BAD' | 'BYE' | 'PREAUTH', text: string, code?: string): void {
    this.out.utf8(`* ${kind} ${code ? `[${code}] ` : ''}${text}\r\n`);
    this.emit();
  }

  tagged(tag: string, kind: 'OK' | 'NO' | 'BAD', text: string, code?: string): void {
    this.out.utf8(`${tag} ${kind} ${code ? `[${code}] ` : ''}${text}\r\n`);
    this.emit();
  }

  continuation(text: string): void {
    this.out.utf8(`+ ${text}\r\n`);
    this.emit();
  }

  /**
   * Reports changes made elsewhere (expunges only where the protocol allows them). With QRESYNC,
   * returns the HIGHESTMODSEQ code the client must then be given (RFC 7162 §3.2.7, §3.2.10): past
   * the expunges just reported, or short of those held back; null when none is due.
   */
  async report(allowExpunge: boolean): Promise<string | null> {
    const sel = this.selected;
    if (!sel) return null;
    const updates = await this.services.imap.mail.refresh(sel, allowExpunge);
    this.send(updates);
    if (!this.qresync) return null;
    if (sel.heldModseq !== null) return `HIGHESTMODSEQ ${sel.heldModseq}`;
    return updates.some((u) => u.kind === 'expunge') ? `HIGHESTMODSEQ ${sel.modseq}` : null;
  }

  /** CONDSTORE switched on by a command using it (RFC 7162 §3.1); with a mailbox selected, it says HIGHESTMODSEQ. */
  enableCondstore(): void {
    if (this.condstore) return;
    this.enabled.add('CONDSTORE');
    if (this.selected) this.status('OK', 'CONDSTORE enabled', `HIGHESTMODSEQ ${this.selected.modseq}`);
  }

  get qresync(): boolean {
    return this.enabled.has('QRESYNC');
  }

  send(updates: MailboxUpdate[]): void {
    // With QRESYNC, expunges are told as one VANISHED of their UIDs (RFC 7162 §3.2.10).
    const gone = updates.filter((u) => u.kind === 'expunge').map((u) => u.uid);
    if (this.qresync && gone.length) this.untagged(atom('VANISHED'), atom(formatSet(gone.sort((a, b) => a - b))));
    for (const u of updates) {
      if (u.kind === 'expunge') {
        if (!this.qresync) this.untagged(u.seq, atom('EXPUNGE'));
      } else if (u.kind === 'exists') this.untagged(u.count, atom('EXISTS'));
      else {
        const items: ImapData[] = [atom('UID'), u.message.uid, atom('FLAGS'), flagAtoms(u.message.keywords)];
        if (this.condstore) items.push(atom('MODSEQ'), [u.message.modseq]);
        this.untagged(u.seq, atom('FETCH'), items);
      }
    }
  }

  unselect(): void {
    this.selected = null;
    this.saved = [];
    if (this.state === 'selected') this.state = 'auth';
  }
}

/** How a command completed: the text and response code of its tagged OK. */
export interface Done {
  text?: string;
  code?: string;
  /** The handler wrote its tagged response itself (STARTTLS must, before the handshake). */
  answered?: boolean;
}

export type Handler = (s: ImapSession, cmd: Command) => Promise<Done | void>;

export interface CommandSpec {
  /** The states the command is valid in. */
  states: SessionState[];
  run: Handler;
  /**
   * Whether expunges made elsewhere may be reported when it completes: not after FETCH, STORE
   * and SEARCH by sequence number, whose numbers the client is still using (RFC 9051 §7.5.1).
   */
  expungeAfter: boolean;
}
