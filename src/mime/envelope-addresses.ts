import { Lexer, isAtext } from './lexer.ts';

/**
 * One address as IMAP's ENVELOPE has it (RFC 9051 §7.5.2): (name adl mailbox host), parts as
 * written. A group is opened by (NIL NIL groupname NIL) and closed by (NIL NIL NIL NIL).
 */
export interface RawAddress {
  name: Buffer | null;
  route: Buffer | null;
  mailbox: Buffer | null;
  host: Buffer | null;
}

const COMMA = 0x2c;
const DOT = 0x2e;
const COLON = 0x3a;
const SEMICOLON = 0x3b;
const LT = 0x3c;
const GT = 0x3e;
const AT = 0x40;
const QUOTE = 0x22;
const BRACKET = 0x5b;

// A NIL host marks a group (RFC 9051 §7.5.2), so an address that lacks a part gets a placeholder
// instead; these are the words Dovecot uses, which clients already know.
const MISSING_MAILBOX = Buffer.from('MISSING_MAILBOX');
const MISSING_DOMAIN = Buffer.from('MISSING_DOMAIN');
const SYNTAX_ERROR = Buffer.from('SYNTAX_ERROR');
const INVALID_ROUTE = Buffer.from('INVALID_ROUTE');

/** How a production ended: more input follows, the input is used up, or it did not parse. */
type Outcome = 'more' | 'end' | 'fail';

/** Text a production read, and how it ended. */
interface Read {
  text: Buffer;
  outcome: Outcome;
}

const NOTHING = Buffer.alloc(0);
const DOT_TEXT = Buffer.from('.');

const after = (lx: Lexer): Outcome => (!lx.skipCfws() ? 'fail' : lx.more() ? 'more' : 'end');

interface Draft {
  name: Buffer | null;
  route: Buffer | null;
  mailbox: Buffer | null;
  host: Buffer | null;
  invalid: boolean;
}

const draft = (): Draft => ({ name: null, route: null, mailbox: null, host: null, invalid: false });

const join = (words: Buffer[]): Buffer => Buffer.from(words.map((w) => w.toString('latin1')).join(' '), 'latin1');

/** RFC 5322 phrase, words joined by one space; obs-phrase lets "." appear between words. */
function phrase(lx: Lexer): Read {
  const words: Buffer[] = [];
  if (!lx.more()) return { text: NOTHING, outcome: 'end' };
  if (lx.peek() === DOT) return { text: NOTHING, outcome: 'fail' };
  for (;;) {
    if (lx.peek() === QUOTE) {
      const q = lx.quoted();
      if (q === null) return { text: join(words), outcome: 'fail' };
      words.push(q);
    } else {
      words.push(lx.run((c) => isAtext(c) || c === DOT));
    }
    const outcome = after(lx);
    if (outcome !== 'more') return { text: join(words), outcome };
    const c = lx.peek();
    if (!isAtext(c) && c !== QUOTE && c !== DOT) return { text: join(words), outcome };
  }
}

/** dot-atom with CFWS allowed around the dots (RFC 822); the text without the CFWS. */
function dotAtom(lx: Lexer): Read {
  const pieces: Buffer[] = [];
  for (;;) {
    const atom = lx.run(isAtext);
    if (atom.length === 0) return { text: Buffer.concat(pieces), outcome: 'fail' };
    pieces.push(atom);
    const outcome = after(lx);
    if (outcome !== 'more' || lx.peek() !== DOT) return { text: Buffer.concat(pieces), outcome };
    lx.pos++;
    pieces.push(DOT_TEXT);
    if (after(lx) !== 'more') return { text: Buffer.concat(pieces), outcome: 'fail' };
  }
}

/** obs-local-part as seen in the wild: leading, trailing and doubled dots are kept, not refused. */
function looseLocalPart(lx: Lexer): Read {
  const pieces: Buffer[] = [];
  let outcome: Outcome = 'fail';
  do {
    while (lx.peek() === DOT) {
      pieces.push(DOT_TEXT);
      lx.pos++;
      if (!lx.more()) return { text: Buffer.concat(pieces), outcome: 'end' };
      outcome = 'more';
    }
    if (lx.peek() === AT) break;
    const atom = lx.run(isAtext);
    if (atom.length === 0) return { text: Buffer.concat(pieces), outcome: 'fail' };
    pieces.push(atom);
    outcome = after(lx);
  } while (outcome === 'more' && lx.peek() === DOT);
  return { text: Buffer.concat(pieces), outcome };
}

function localPart(lx: Lexer, d: Draft): Read {
  let r: Read;
  if (lx.peek() === QUOTE) {
    const q = lx.quoted();
    r = q === null ? { text: NOTHING, outcome: 'fail' } : { text: q, outcome: after(lx) };
  } else {
    r = looseLocalPart(lx);
  }
  if (r.outcome !== 'fail') d.mailbox = r.text;
  return r;
}

/** "@" domain, the cursor on the "@"; a domain-literal keeps its brackets. */
function domain(lx: Lexer): Read {
  lx.pos++;
  if (after(lx) !== 'more') return { text: NOTHING, outcome: 'fail' };
  if (lx.peek() !== BRACKET) return dotAtom(lx);
  const literal = lx.domainLiteral();
  return literal === null ? { text: NOTHING, outcome: 'fail' } : { text: literal, outcome: after(lx) };
}

/** obs-route's domain list "@a,@b" (the ":" is left to the caller). */
function routeList(lx: Lexer, d: Draft): Outcome {
  const hops: string[] = [];
  while (lx.more() && lx.peek() === AT) {
    const r = domain(lx);
    hops.push('@' + r.text.toString('latin1'));
    if (r.outcome !== 'more') return r.outcome;
    while (after(lx) === 'more' && lx.peek() === COMMA) lx.pos++;
  }
  if (!lx.more()) return 'end';
  d.route = Buffer.from(hops.join(','), 'latin1');
  return 'more';
}

/** angle-addr: "<" [obs-route ":"] [local-part "@" domain] ">"; false when malformed. */
function angleAddr(lx: Lexer, d: Draft): boolean {
  lx.pos++;
  if (after(lx) !== 'more') return false;
  if (lx.peek() === AT) {
    if (routeList(lx, d) === 'more' && lx.peek() === COLON) lx.pos++;
    else {
      d.route = INVALID_ROUTE;
      if (!lx.more()) return false;
    }
    if (after(lx) !== 'more') return false;
  }
  // "<>" (a null return path) has neither mailbox nor host
  if (lx.peek() !== GT) {
    if (localPart(lx, d).outcome !== 'more') return false;
    if (lx.peek() === AT) {
      const r = domain(lx);
      if (r.outcome !== 'more') return false;
      d.host = r.text;
    }
  }
  if (lx.peek() !== GT) return false;
  lx.pos++;
  return lx.skipCfws();
}

/** name-addr, or null when the input is not one (the caller rereads it as an addr-spec). */
function nameAddr(lx: Lexer, d: Draft): Outcome | null {
  const p = phrase(lx);
  if (p.outcome !== 'more' || lx.peek() !== LT) return null;
  d.name = p.text.length > 0 ? p.text : null;
  if (!angleAddr(lx, d)) d.host = SYNTAX_ERROR;
  return lx.more() ? 'more' : 'end';
}

/**
 * addr-spec. An RFC 822 comment after it names the mailbox ("user@host (Name)"); a bare word
 * without "@" followed by more words is a display name that lost its address.
 */
function addrSpec(lx: Lexer, d: Draft): Outcome {
  lx.forgetComment();
  const quoted = lx.peek() === QUOTE;
  const local = localPart(lx, d);
  let outcome = local.outcome;
  if (outcome !== 'more') d.invalid = true;
  let sawDomain = false;
  if (outcome !== 'end' && lx.more() && lx.peek() === AT) {
    sawDomain = true;
    const r = domain(lx);
    if (r.outcome !== 'fail') d.host = r.text;
    if (r.outcome !== 'more') outcome = r.outcome;
  }
  if (lx.lastComment && lx.lastComment.length > 0) {
    d.name = lx.lastComment;
  } else if (!sawDomain) {
    const rest = phrase(lx);
    if (rest.text.length > 0) {
      d.mailbox = null;
      d.name = Buffer.concat([local.text, Buffer.from(' '), rest.text]);
    } else if (!quoted) {
      d.host = NOTHING;
    }
    d.invalid = true;
    outcome = 'fail';
  }
  return outcome;
}

function finish(d: Draft, out: RawAddress[]): void {
  out.push({
    name: d.name,
    route: d.route,
    mailbox: d.mailbox ?? MISSING_MAILBOX,
    host: d.host && d.host.length > 0 ? d.host : MISSING_DOMAIN,
  });
}

function mailbox(lx: Lexer, out: RawAddress[]): Outcome {
  const start = lx.pos;
  const d = draft();
  let outcome = nameAddr(lx, d);
  if (outcome === null) {
    lx.pos = start;
    outcome = addrSpec(lx, d);
    // a lone quoted word is more likely a name than a mailbox
    if (d.invalid && d.name === null && d.mailbox !== null && d.host === null) {
      d.name = d.mailbox;
      d.mailbox = null;
    }
  }
  finish(d, out);
  return outcome;
}

/** group: display-name ":" [mailbox-list] ";"; null when the input is not a group. */
function group(lx: Lexer, out: RawAddress[]): Outcome | null {
  const p = phrase(lx);
  if (p.outcome !== 'more' || lx.peek() !== COLON) return null;
  lx.pos++;
  let outcome = after(lx);
  out.push({ name: null, route: null, mailbox: p.text, host: null });
  if (outcome === 'more' && lx.peek() !== SEMICOLON) {
    for (;;) {
      mailbox(lx, out);
      if (!lx.more() || lx.peek() !== COMMA) break;
      lx.pos++;
      if (after(lx) !== 'more') {
        outcome = 'fail';
        break;
      }
    }
  }
  if (outcome !== 'fail') {
    if (!lx.more() || lx.peek() !== SEMICOLON) outcome = 'fail';
    else {
      lx.pos++;
      outcome = after(lx);
    }
  }
  out.push({ name: null, route: null, mailbox: null, host: null });
  return outcome === 'end' ? 'end' : 'more';
}

/**
 * An address-list header value (RFC 5322 §3.4) as ENVELOPE address structures, every part kept
 * as written (no RFC 2047 decoding, RFC 9051 §7.5.2). Broken input yields what could be read:
 * parsing stops at the first entry not followed by ",".
 */
export function parseAddresses(value: Buffer): RawAddress[] {
  const out: RawAddress[] = [];
  const lx = new Lexer(value);
  if (after(lx) !== 'more') return out;
  for (;;) {
    const start = lx.pos;
    let outcome = group(lx, out);
    if (outcome === null) {
      lx.pos = start;
      outcome = mailbox(lx, out);
    }
    if (outcome === 'end' || !lx.more() || lx.peek() !== COMMA) break;
    lx.pos++;
    if (after(lx) !== 'more') break;
  }
  return out;
}
