import { decodePartBody } from '../../mime/decode.ts';
import type { MimePart } from '../../mime/types.ts';

const LF = 0x0a;
const CR = 0x0d;

// Charsets in which the byte 0x0A need not be a line feed, so no line ends can be fixed by bytes.
const WIDE_CHARSET = /^(utf-?16|utf-?32|ucs-?2|ucs-?4)/i;

/**
 * The content of a part as BINARY[part] and BINARY.SIZE[part] give it (RFC 9051 §6.4.5): its
 * Content-Transfer-Encoding removed.
 * - A text/* part's stored lines go out with CRLF even when stored with bare LF ("regardless of
 *   the underlying storage representation"): the raw lines of 7bit/8bit/binary, and the hard line
 *   breaks of quoted-printable, which stand for CRLF (RFC 2045 §6.7 rule 4). The octets an
 *   encoding carries as data (inside base64, or escaped as =0A) are the content and are given as
 *   they are, as Dovecot does.
 * - A multipart or message part has an identity encoding of its own (RFC 2045 §6.4), so its bytes
 *   come as stored; RFC 9051 asks clients to request only leaf parts.
 */
export function binaryBody(raw: Buffer, part: MimePart): Buffer {
  const leaf = part.children.length === 0;
  const lines = leaf && part.encoding !== 'base64' && part.type.startsWith('text/') && !WIDE_CHARSET.test(part.params['charset'] ?? '');
  if (!lines) return decodePartBody(raw, part);
  const body = withCrlf(raw.subarray(part.bodyStart, part.bodyEnd));
  return decodePartBody(body, { ...part, bodyStart: 0, bodyEnd: body.length });
}

/** Every LF not already preceded by CR gets one. */
export function withCrlf(body: Buffer): Buffer {
  let bare = 0;
  for (let i = body.indexOf(LF); i >= 0; i = body.indexOf(LF, i + 1)) if (i === 0 || body[i - 1] !== CR) bare++;
  if (bare === 0) return body;
  const out = Buffer.allocUnsafe(body.length + bare);
  let o = 0;
  let from = 0;
  for (let i = body.indexOf(LF); i >= 0; i = body.indexOf(LF, i + 1)) {
    if (i > 0 && body[i - 1] === CR) continue;
    o += body.copy(out, o, from, i);
    out[o++] = CR;
    from = i;
  }
  o += body.copy(out, o, from);
  return out.subarray(0, o);
}
