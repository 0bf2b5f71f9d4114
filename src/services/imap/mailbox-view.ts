/** One message of the selected mailbox as a session last reported it. */
export interface MessageState {
  uid: number;
  /** Never mutated, only replaced: a view's messages with equal keywords share one array. */
  keywords: string[];
  modseq: number;
}

/** Messages by position, ascending by UID: what a view and its builder both answer. */
abstract class Listing {
  protected abstract readonly uids: ArrayLike<number>;
  protected abstract readonly lists: ArrayLike<number>;
  protected abstract readonly keywordLists: string[][];

  get length(): number {
    return this.uids.length;
  }

  uidAt(i: number): number {
    return this.uids[i]!;
  }

  keywordsAt(i: number): string[] {
    return this.keywordLists[this.lists[i]!]!;
  }

  /** Index of a UID, or -1. */
  indexOf(uid: number): number {
    let lo = 0;
    let hi = this.uids.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const v = this.uids[mid]!;
      if (v === uid) return mid;
      if (v < uid) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }
}

/**
 * The messages of a mailbox as of one modseq, ascending by UID, in three typed arrays (16 bytes a
 * message) and a table of the distinct keyword lists. Never changed once built: every session
 * that sees the mailbox as of the same modseq shares one, so 500 idle sessions on a 20k-message
 * mailbox hold one copy, not 500.
 */
export class MailboxView extends Listing {
  /** Made by ViewBuilder.build. */
  constructor(
    readonly modseq: number,
    protected readonly uids: Uint32Array,
    private readonly modseqs: Float64Array,
    protected readonly lists: Uint32Array,
    protected readonly keywordLists: string[][],
  ) {
    super();
  }

  static of(messages: MessageState[], modseq: number): MailboxView {
    const b = new ViewBuilder([]);
    for (const m of messages) b.push(m.uid, m.keywords, m.modseq);
    return b.build(modseq);
  }


  modseqAt(i: number): number {
    return this.modseqs[i]!;
  }

  at(i: number): MessageState {
    return { uid: this.uids[i]!, keywords: this.keywordsAt(i), modseq: this.modseqs[i]! };
  }

  /** Index of a UID, or -1. */
  /** A builder starting from this view's messages, sharing its keyword lists. */
  edit(): ViewBuilder {
    return new ViewBuilder(this.keywordLists, this);
  }
}

/** Makes a MailboxView: messages pushed in ascending UID order, or this view's edited in place. */
export class ViewBuilder extends Listing {
  protected uids: number[] = [];
  private modseqs: number[] = [];
  protected lists: number[] = [];
  protected readonly keywordLists: string[][];
  private index: Map<string, number> | null = null;

  constructor(keywordLists: string[][], from?: MailboxView) {
    super();
    this.keywordLists = [...keywordLists];
    if (from) {
      for (let i = 0; i < from.length; i++) this.push(from.uidAt(i), from.keywordsAt(i), from.modseqAt(i));
    }
  }

  private listOf(keywords: string[]): number {
    if (!this.index) this.index = new Map(this.keywordLists.map((l, i) => [l.join(' '), i]));
    const key = keywords.join(' ');
    let n = this.index.get(key);
    if (n === undefined) {
      n = this.keywordLists.push(keywords) - 1;
      this.index.set(key, n);
    }
    return n;
  }

  push(uid: number, keywords: string[], modseq: number): void {
    this.uids.push(uid);
    this.modseqs.push(modseq);
    this.lists.push(this.listOf(keywords));
  }

  set(i: number, keywords: string[], modseq: number): void {
    this.lists[i] = this.listOf(keywords);
    this.modseqs[i] = modseq;
  }

  /** Keeps only the messages for which keep(uid) holds. */
  retain(keep: (uid: number) => boolean): void {
    let n = 0;
    for (let i = 0; i < this.uids.length; i++) {
      if (!keep(this.uids[i]!)) continue;
      this.uids[n] = this.uids[i]!;
      this.modseqs[n] = this.modseqs[i]!;
      this.lists[n] = this.lists[i]!;
      n++;
    }
    this.uids.length = this.modseqs.length = this.lists.length = n;
  }

  build(modseq: number): MailboxView {
    // Keyword lists no message uses any more are dropped, so the table cannot grow without bound.
    const used = new Map<number, number>();
    const keywordLists: string[][] = [];
    const lists = new Uint32Array(this.lists.length);
    for (let i = 0; i < this.lists.length; i++) {
      let n = used.get(this.lists[i]!);
      if (n === undefined) {
        n = keywordLists.push(this.keywordLists[this.lists[i]!]!) - 1;
        used.set(this.lists[i]!, n);
      }
      lists[i] = n;
    }
    return new MailboxView(modseq, Uint32Array.from(this.uids), Float64Array.from(this.modseqs), lists, keywordLists);
  }
}

/**
 * The newest view of each mailbox that some session holds, so a session catching up to a modseq
 * another has already reached adopts that view instead of building its own. Held weakly: a view
 * no session uses any more is collected.
 */
export class MailboxViews {
  private readonly latest = new Map<string, WeakRef<MailboxView>>();
  private readonly cleanup = new FinalizationRegistry<string>((mailboxId) => {
    if (this.latest.get(mailboxId)?.deref() === undefined) this.latest.delete(mailboxId);
  });

  /** The shared view of the mailbox as of exactly this modseq, if a session holds one. */
  at(mailboxId: string, modseq: number): MailboxView | null {
    const view = this.latest.get(mailboxId)?.deref();
    return view && view.modseq === modseq ? view : null;
  }

  /** The view to keep: the one already shared for its modseq, or this one, now shared. */
  share(mailboxId: string, view: MailboxView): MailboxView {
    const current = this.latest.get(mailboxId)?.deref();
    if (current && current.modseq === view.modseq) return current;
    if (!current || current.modseq < view.modseq) {
      this.latest.set(mailboxId, new WeakRef(view));
      this.cleanup.register(view, mailboxId);
    }
    return view;
  }
}
