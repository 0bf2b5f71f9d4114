import { imapRepo } from '../../store/repos/imap.ts';
import { mailRepo } from '../../store/repos/mail.ts';
import type { Lease } from '../../store/blobs/file-pool.ts';
import type { Store } from '../../store/store.ts';
import type { IngestService } from '../delivery/ingest.ts';
import { ServiceError } from '../errors.ts';
import type { EmailWriter } from '../mail/email-writer.ts';
import { parseKeywords } from '../mail/keywords.ts';
import type { MessageService } from '../mail/messages.ts';
import type { UpstreamGate } from '../remote/upstream-gate.ts';
import type { Criteria } from './criteria.ts';
import type { Folder, ImapFolders } from './folders.ts';
import { evaluate } from './search.ts';
import { sortMessages, type SortCriterion } from './sort.ts';
import { threadOrderedSubject, threadReferences, type ThreadNode } from './thread.ts';
import { MailboxView, MailboxViews } from './mailbox-view.ts';
import { keywordList, SelectedMailbox, type MailboxUpdate, type MessageState } from './selected.ts';
import { readStructure } from '../../mime/stored-structure.ts';

export interface FolderStatus {
  messages: number;
  unseen: number;
  uidNext: number;
  uidValidity: number;
  size: number;
  highestModseq: number;
}

export type { Lease };

/** An email as FETCH reads it (imapRepo.emails): its columns, its UID here and the modseq of that membership. */
export type FetchRow = Awaited<ReturnType<typeof imapRepo.emails>>[number];

export type FlagChange = { mode: 'set' | 'add' | 'remove'; keywords: string[]; unchangedSince?: number };

/** UIDs of copies: source UID → UID in the target mailbox (COPYUID, RFC 4315). */
export interface Placed {
  uidValidity: number;
  pairs: [number, number][];
}

// Messages changed per transaction by MOVE and EXPUNGE (a few statements each), and by STORE (a
// few statements per chunk): bounded so one command on a huge mailbox never holds the write lock
// for long.
const CHUNK = 200;
const STORE_CHUNK = 1000;

const toState = (r: { uid: number; modseq: number; keywords: string }): MessageState => ({
  uid: r.uid,
  modseq: r.modseq,
  keywords: keywordList(parseKeywords(r.keywords)),
});

/**
 * The mail operations of IMAP sessions, in IMAP's terms: messages by UID in a selected mailbox,
 * flags per message, COPY as a new message with its own flags, MOVE keeping the email (and its
 * EMAILID). Mirrored accounts go through MessageService, which writes upstream first.
 */
export class ImapMail {
  private gate: UpstreamGate | null = null;
  private readonly views = new MailboxViews();

  constructor(
    private readonly store: Store,
    private readonly messages: MessageService,
    private readonly ingest: IngestService,
    private readonly writer: EmailWriter,
    readonly folders: ImapFolders,
  ) {}

  useUpstream(gate: UpstreamGate): void {
    this.gate = gate;
  }

  /** Whether other nodes may change this store (PostgreSQL), whose changes this node's bus never hears of. */
  get shared(): boolean {
    return this.store.dialect === 'postgres';
  }

  async open(accountId: string, path: string, readOnly: boolean): Promise<SelectedMailbox> {
    const folder = await this.folders.get(accountId, path);
    const modseq = await imapRepo.highestModseq(this.store.db, folder.id);
    // Another session may hold the mailbox as of this modseq already: then nothing is read.
    let view = this.views.at(folder.id, modseq);
    if (!view) {
      const [rows, now] = await Promise.all([imapRepo.messages(this.store.db, folder.id), imapRepo.highestModseq(this.store.db, folder.id)]);
      // Tagged with the modseq read before the rows: a change made meanwhile is read again at the
      // next catch-up rather than missed. Shared only when nothing changed, so the rows are exactly
      // those of that modseq.
      view = MailboxView.of(rows.map(toState), modseq);
      if (now === modseq) view = this.views.share(folder.id, view);
    }
    return new SelectedMailbox(accountId, folder, readOnly, view, this.views);
  }

  async status(accountId: string, path: string): Promise<FolderStatus> {
    const folder = await this.folders.get(accountId, path);
    return this.statusOf(folder);
  }

  async statusOf(folder: Folder): Promise<FolderStatus> {
    const r = folder.row;
    return {
      messages: r.message_count,
      unseen: r.unseen_count,
      uidNext: r.uidnext,
      uidValidity: r.uidvalidity,
      size: r.size,
      highestModseq: await imapRepo.highestModseq(this.store.db, folder.id),
    };
  }

  /** Messages flagged \Deleted in a mailbox and their bytes (STATUS DELETED, DELETED-STORAGE). */
  async deletedStats(folder: Folder): Promise<{ count: number; bytes: number }> {
    const deleted = (await imapRepo.searchRows(this.store.db, folder.id)).filter((m) => parseKeywords(m.keywords).includes('$deleted'));
    return { count: deleted.length, bytes: deleted.reduce((sum, m) => sum + m.size, 0) };
  }

  /** Changes made since the session last looked, by anyone (see SelectedMailbox.apply). */
  async refresh(sel: SelectedMailbox, allowExpunge: boolean): Promise<MailboxUpdate[]> {
    const db = this.store.db;
    const [modseq, box] = await Promise.all([imapRepo.highestModseq(db, sel.mailboxId), mailRepo.mailbox(db, sel.accountId, sel.mailboxId)]);
    if (!box) throw new ServiceError('notFound', 'the selected mailbox was deleted');
    if (modseq <= sel.modseq) return allowExpunge ? sel.apply([], null, modseq, box.uidnext, true) : [];
    const changed = (await imapRepo.changedSince(db, sel.mailboxId, sel.modseq, sel.takeOwnWrites())).map(toState);
    const added = changed.filter((c) => !sel.message(c.uid)).length;
    // Counts that do not add up mean something left the mailbox: only then is the whole UID list read.
    const present = sel.present + added === box.message_count ? null : new Set((await imapRepo.messages(db, sel.mailboxId)).map((m) => m.uid));
    return sel.apply(changed, present, modseq, box.uidnext, allowExpunge);
  }

  /**
   * UIDs of `known` (UID ranges; all UIDs ever given out when null) expunged after `modseq`
   * (QRESYNC). Every UID below UIDNEXT was once a message here, so those no longer listed are
   * exactly the expunged ones; when nothing left the mailbox since `modseq`, there are none.
   */
  async vanished(sel: SelectedMailbox, modseq: number, known: [number, number][] | null): Promise<number[]> {
    const box = await mailRepo.mailbox(this.store.db, sel.accountId, sel.mailboxId);
    if (!box || box.expunge_modseq <= modseq) return [];
    const present = new Set<number>();
    for (let seq = 1; seq <= sel.count; seq++) if (!sel.isGone(sel.uidAt(seq))) present.add(sel.uidAt(seq));
    const out: number[] = [];
    for (const [lo, hi] of known ?? [[1, box.uidnext - 1]]) {
      for (let uid = Math.max(lo, 1); uid <= Math.min(hi, box.uidnext - 1); uid++) if (!present.has(uid)) out.push(uid);
    }
    return out;
  }

  /** Email rows of these UIDs, ascending; with their MIME structure when asked. */
  async rows(sel: SelectedMailbox, uids: number[], wide = { structure: false, envelope: false }): Promise<FetchRow[]> {
    const rows = await imapRepo.emails(this.store.db, sel.mailboxId, uids, wide);
    return rows.sort((a, b) => a.uid - b.uid);
  }

  /**
   * The stored bytes FETCH needs for each row, read a few files at a time: the header block only
   * (ENVELOPE, header sections: a 20k-message FETCH reads kilobytes per message, not the whole
   * mailbox), or the whole message. The bytes are lent: the caller releases them once sent.
   */
  async contents(rows: FetchRow[], headerOnly: boolean): Promise<Lease> {
    const wanted = rows.map((r) => ({ id: r.blob_id, length: headerOnly ? readStructure(r.structure!).headerEnd : r.size }));
    const lease = await this.store.blobs.lease(wanted);
    const missing = lease.files.findIndex((bytes) => !bytes);
    if (missing >= 0) {
      lease.release();
      throw new ServiceError('unavailable', `message ${rows[missing]!.uid} cannot be read`);
    }
    return lease;
  }

  /**
   * STORE: the new flags of each message, written unless it changed after `unchangedSince`
   * (CONDSTORE: such UIDs come back as `modified`). Returns the states after the change.
   */
  async setFlags(sel: SelectedMailbox, uids: number[], change: FlagChange): Promise<{ changed: MessageState[]; modified: number[] }> {
    if (sel.readOnly) throw new ServiceError('forbidden', 'the mailbox is open read-only (EXAMINE)');
    const modified: number[] = [];
    // Per distinct stored keyword list, not per message: a mailbox has few of them.
    const outcomes = new Map<string, { key: string; unchanged: boolean }>();
    const outcome = (current: string) => {
      let o = outcomes.get(current);
      if (!o) {
        const before = parseKeywords(current);
        const next = new Set(change.mode === 'set' ? change.keywords : before);
        if (change.mode === 'add') for (const k of change.keywords) next.add(k);
        if (change.mode === 'remove') for (const k of change.keywords) next.delete(k);
        const key = [...next].sort().join(' ');
        outcomes.set(current, (o = { key, unchanged: before.join(' ') === key }));
      }
      return o;
    };
    const wanted = (current: string): string[] => {
      const { key } = outcome(current);
      return key ? key.split(' ') : [];
    };
    type Row = Awaited<ReturnType<typeof imapRepo.flagRows>>[number];
    // Rows whose flags may change; those changed elsewhere after UNCHANGEDSINCE come back as modified.
    const candidates = (rows: Row[]) =>
      rows.filter((r) => {
        if (change.unchangedSince === undefined || r.member_modseq <= change.unchangedSince) return true;
        modified.push(r.uid);
        return false;
      });
    const upstream = await this.gate?.of(sel.accountId);
    let changed: MessageState[] = [];
    const written: number[] = [];
    for (let i = 0; i < uids.length; i += STORE_CHUNK) {
      const chunk = uids.slice(i, i + STORE_CHUNK);
      if (upstream) {
        for (const r of candidates(await imapRepo.flagRows(this.store.db, sel.mailboxId, chunk))) await this.messages.update(sel.accountId, r.id, { keywords: wanted(r.keywords) });
        continue;
      }
      // Read under the write lock, so no change made meanwhile is overwritten; messages that end
      // with the same flags change together (setKeywordsMany), and their new state is known
      // without reading them back.
      await this.store.write(async (w) => {
        const groups = new Map<string, Row[]>();
        for (const r of candidates(await imapRepo.flagRows(w.trx, sel.mailboxId, chunk))) {
          const { key } = outcome(r.keywords);
          const group = groups.get(key);
          if (group) group.push(r);
          else groups.set(key, [r]);
        }
        for (const [key, rows] of groups) {
          const keywords = keywordList(key ? key.split(' ') : []);
          const modseq = await this.writer.setKeywordsMany(w, sel.accountId, rows, keywords);
          if (modseq !== null) written.push(modseq);
          for (const r of rows) changed.push({ uid: r.uid, keywords, modseq: outcome(r.keywords).unchanged ? r.member_modseq : modseq! });
        }
      });
    }
    if (upstream) {
      const skipped = new Set(modified);
      changed = (await imapRepo.states(this.store.db, sel.mailboxId, uids.filter((u) => !skipped.has(u)))).map(toState);
    }
    changed.sort((a, b) => a.uid - b.uid);
    for (const c of changed) sel.setFlags(c.uid, c.keywords, c.modseq);
    sel.wrote(written);
    return { changed, modified };
  }

  /** COPY: each message becomes a new one in the target, sharing the stored bytes; all or nothing. */
  async copy(sel: SelectedMailbox, uids: number[], target: Folder): Promise<Placed> {
    const rows = await this.rows(sel, uids);
    const results = await this.messages.copy(sel.accountId, sel.accountId, rows.map((r) => ({ id: r.id, mailboxIds: [target.id] })));
    const made = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.id] : []));
    const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult | undefined;
    if (failed) {
      // The destination must end as it was (RFC 9051 §6.4.7).
      for (const id of made) await this.messages.delete(sel.accountId, id);
      throw failed.reason;
    }
    return this.placed(target, rows.map((r, i) => [r.uid, made[i]]));
  }

  /** MOVE: the email leaves this mailbox for the target, keeping its id (RFC 6851, RFC 8474 §5.1). */
  async move(sel: SelectedMailbox, uids: number[], target: Folder): Promise<Placed> {
    if (sel.readOnly) throw new ServiceError('forbidden', 'the mailbox is open read-only (EXAMINE)');
    const rows = await this.rows(sel, uids);
    if (target.id === sel.mailboxId) {
      // Into the mailbox itself: new copies with new UIDs, the originals gone (RFC 6851 §3.3).
      const placed = await this.copy(sel, uids, target);
      await this.remove(sel, rows);
      return placed;
    }
    const upstream = await this.gate?.of(sel.accountId);
    for (let i = 0; i < rows.length; i += CHUNK) {
      const chunk = rows.slice(i, i + CHUNK);
      if (upstream) {
        for (const r of chunk) await this.messages.update(sel.accountId, r.id, { mailboxIds: [target.id] });
        continue;
      }
      await this.store.write((w) => this.writer.move(w, sel.accountId, chunk, sel.mailboxId, target.id));
    }
    return this.placed(target, rows.map((r) => [r.uid, r.id]));
  }

  /** EXPUNGE: messages flagged \Deleted leave the mailbox (only those of `uids` when given, UID EXPUNGE). */
  async expunge(sel: SelectedMailbox, uids: number[] | null): Promise<void> {
    if (sel.readOnly) throw new ServiceError('forbidden', 'the mailbox is open read-only (EXAMINE)');
    const only = uids ? new Set(uids) : null;
    const doomed = [...sel.messages()].filter((m) => m.keywords.includes('$deleted') && (!only || only.has(m.uid)) && !sel.isGone(m.uid));
    // Flags are checked again in the store: another session may have cleared \Deleted meanwhile.
    const rows = (await this.rows(sel, doomed.map((m) => m.uid))).filter((r) => parseKeywords(r.keywords).includes('$deleted'));
    await this.remove(sel, rows);
  }

  /** Takes messages out of the selected mailbox; an email left in no mailbox is destroyed. */
  private async remove(sel: SelectedMailbox, rows: FetchRow[]): Promise<void> {
    const upstream = await this.gate?.of(sel.accountId);
    for (let i = 0; i < rows.length; i += CHUNK) {
      const chunk = rows.slice(i, i + CHUNK);
      if (upstream) for (const r of chunk) await this.messages.delete(sel.accountId, r.id);
      else await this.store.write(async (w) => {
        for (const r of chunk) await this.writer.leaveMailbox(w, sel.accountId, r.id, sel.mailboxId);
      });
    }
    if (rows.length && !upstream) await this.writer.collectGarbage();
  }

  async append(accountId: string, path: string, raw: Buffer, keywords: string[], receivedAt: number | undefined): Promise<{ uidValidity: number; uid: number }> {
    const folder = await this.folders.get(accountId, path);
    const stored = await this.ingest.ingest({ accountId, raw, mailboxId: folder.id, keywords, receivedAt }, 'imap');
    const member = (await mailRepo.memberships(this.store.db, [stored.id])).find((m) => m.mailbox_id === folder.id)!;
    return { uidValidity: folder.row.uidvalidity, uid: Number(member.uid) };
  }

  /** SEARCH over the messages this session lists; `saved` is the last SAVEd result (UIDs). */
  async search(sel: SelectedMailbox, criteria: Criteria, saved: number[]): Promise<number[]> {
    const rows = await imapRepo.searchRows(this.store.db, sel.mailboxId);
    return evaluate(this.messages, sel, rows, criteria, saved, Date.now());
  }

  /** SORT (RFC 5256): the UIDs matching the criteria, in the requested order. */
  async sort(sel: SelectedMailbox, order: SortCriterion[], criteria: Criteria, saved: number[]): Promise<number[]> {
    const rows = await imapRepo.orderRows(this.store.db, sel.mailboxId, await this.search(sel, criteria, saved));
    return sortMessages(
      rows.map((r) => ({ uid: r.uid, internalDate: r.received_at, sentDate: r.sent_at, size: r.size, subject: r.subject, from: JSON.parse(r.from_json), to: JSON.parse(r.to_json), cc: JSON.parse(r.cc_json) })),
      order,
    );
  }

  /** THREAD (RFC 5256): the matching messages as threads of UIDs. */
  async thread(sel: SelectedMailbox, algorithm: 'ORDEREDSUBJECT' | 'REFERENCES', criteria: Criteria, saved: number[]): Promise<ThreadNode[]> {
    const rows = await imapRepo.orderRows(this.store.db, sel.mailboxId, await this.search(sel, criteria, saved));
    const messages = rows.map((r) => ({
      uid: r.uid,
      internalDate: r.received_at,
      sentDate: r.sent_at,
      subject: r.subject,
      messageId: r.message_id,
      inReplyTo: JSON.parse(r.in_reply_to_json) as string[],
      references: JSON.parse(r.references_json) as string[],
    }));
    return algorithm === 'REFERENCES' ? threadReferences(messages) : threadOrderedSubject(messages);
  }

  private async placed(target: Folder, pairs: [number, string][]): Promise<Placed> {
    const members = await mailRepo.memberships(this.store.db, pairs.map(([, id]) => id));
    const uidOf = new Map(members.filter((m) => m.mailbox_id === target.id).map((m) => [m.email_id, Number(m.uid)]));
    const box = await mailRepo.mailbox(this.store.db, target.row.account_id, target.id);
    return { uidValidity: box?.uidvalidity ?? target.row.uidvalidity, pairs: pairs.map(([uid, id]) => [uid, uidOf.get(id) ?? 0]) };
  }
}
