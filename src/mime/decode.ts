import type { MimePart } from './types.ts';
import { decodeBytes } from './charset.ts';

const HEX = new Int8Array(256).fill(-1);
for (let i = 0; i < 10; i++) HEX[48 + i] = i;
for (let i = 0; i < 6; i++) {
  HEX[65 + i] = 10 + i;
  HEX[97 + i] = 10 + i;
}

const isBlank = (c: number | undefined) => c === 32 || c === 9;

/**
 * Quoted-printable decoding (RFC 2045 §6.7); malformed escapes are kept literally. Blanks that end
 * a line are transport padding and are dropped (rule 3: they "must be deleted"); encoded ones
 * (=20) are content.
 */
export function decodeQuotedPrintable(buf: Buffer): Buffer {
  const len = buf.length;
  const out = Buffer.allocUnsafe(len);
  let o = 0;
  for (let i = 0; i < len; i++) {
    const c = buf[i]!;
    if (isBlank(c)) {
      let j = i + 1;
      while (isBlank(buf[j])) j++;
      const lineEnd = j >= len || buf[j] === 10 || (buf[j] === 13 && buf[j + 1] === 10);
      if (!lineEnd) o += buf.copy(out, o, i, j);
      i = j - 1;
      continue;
    }
    if (c !== 61) {
      out[o++] = c;
      continue;
    }
    if (i + 2 < len) {
      const h = HEX[buf[i + 1]!]!;
      const l = HEX[buf[i + 2]!]!;
      if (h >= 0 && l >= 0) {
        out[o++] = (h << 4) | l;
        i += 2;
        continue;
      }
    }
    // Soft line break: "=" plus optional transport padding, then the line break.
    let j = i + 1;
    while (j < len && isBlank(buf[j])) j++;
    if (j >= len) {
      i = len;
    } else if (buf[j] === 10) {
      i = j;
    } else if (buf[j] === 13 && (j + 1 >= len || buf[j + 1] === 10)) {
      i = j + 1;
    } else {
      out[o++] = c;
    }
  }
  return out.subarray(0, o);
}

const B64_CHAR = /[A-Za-z0-9+/_-]/g;

/**
 * Base64 decoding that skips whitespace and garbage. Node's decoder stops at the first "=", so
 * bodies that concatenate separately padded chunks are decoded chunk by chunk.
 */
export function decodeBase64(buf: Buffer): Buffer {
  const s = buf.toString('latin1');
  const eq = s.indexOf('=');
  if (eq < 0) return Buffer.from(s, 'base64');
  B64_CHAR.lastIndex = eq;
  if (!B64_CHAR.test(s)) return Buffer.from(s, 'base64');
  const chunks: Buffer[] = [];
  for (const piece of s.split(/=+/)) if (piece.length) chunks.push(Buffer.from(piece, 'base64'));
  return Buffer.concat(chunks);
}

/** Undoes a Content-Transfer-Encoding; identity for 7bit/8bit/binary and anything unknown. */
export function transferDecode(buf: Buffer, encoding: string): Buffer {
  if (encoding === 'base64') return decodeBase64(buf);
  if (encoding === 'quoted-printable') return decodeQuotedPrintable(buf);
  return buf;
}

function isLeaf(part: MimePart): boolean {
  return part.children.length === 0;
}

/**
 * Transfer-decoded content of a part (attachment download). Containers (multipart, and
 * message/rfc822 whose body is the encapsulated message) are returned as raw body bytes.
 * The result may share memory with `raw`.
 */
export function decodePartBody(raw: Buffer, part: MimePart): Buffer {
  const start = Math.max(0, Math.min(part.bodyStart, raw.length));
  const end = Math.max(start, Math.min(part.bodyEnd, raw.length));
  const body = raw.subarray(start, end);
  if (!isLeaf(part)) return body;
  try {
    return transferDecode(body, part.encoding);
  } catch {
    return body;
  }
}

/** Content of a part as text: transfer decoding, then its charset (UTF-8/Windows-1252 sniffed by default). */
export function decodePartText(raw: Buffer, part: MimePart): string {
  return decodeBytes(decodePartBody(raw, part), part.params['charset']);
}
