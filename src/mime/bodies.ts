import type { MimePart } from './types.ts';

// Body/attachment classification of RFC 8621 §4.1.4 (JMAP textBody, htmlBody, attachments).

export interface BodySelection {
  textBody: MimePart[];
  htmlBody: MimePart[];
  attachments: MimePart[];
}

function isInlineMediaType(type: string): boolean {
  return type.startsWith('image/') || type.startsWith('audio/') || type.startsWith('video/');
}

function walk(
  parts: MimePart[],
  multipartType: string,
  inAlternative: boolean,
  htmlBodyIn: MimePart[] | null,
  textBodyIn: MimePart[] | null,
  attachments: MimePart[],
): void {
  let htmlBody = htmlBodyIn;
  let textBody = textBodyIn;
  const textLength = textBody ? textBody.length : -1;
  const htmlLength = htmlBody ? htmlBody.length : -1;

  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const isMultipart = part.type.startsWith('multipart/');
    const isInline =
      part.disposition !== 'attachment' &&
      (part.type === 'text/plain' || part.type === 'text/html' || isInlineMediaType(part.type)) &&
      (i === 0 || (multipartType !== 'related' && (isInlineMediaType(part.type) || !part.filename)));

    if (isMultipart) {
      const sub = part.type.slice('multipart/'.length);
      walk(part.children, sub, inAlternative || sub === 'alternative', htmlBody, textBody, attachments);
    } else if (isInline) {
      if (multipartType === 'alternative') {
        if (part.type === 'text/plain') textBody?.push(part);
        else if (part.type === 'text/html') htmlBody?.push(part);
        else attachments.push(part);
        continue;
      } else if (inAlternative) {
        if (part.type === 'text/plain') htmlBody = null;
        if (part.type === 'text/html') textBody = null;
      }
      textBody?.push(part);
      htmlBody?.push(part);
      if ((!textBody || !htmlBody) && isInlineMediaType(part.type)) attachments.push(part);
    } else {
      attachments.push(part);
    }
  }

  if (multipartType === 'alternative' && textBody && htmlBody) {
    // only HTML found: it doubles as the text body, and vice versa
    if (textLength === textBody.length && htmlLength !== htmlBody.length) {
      for (let i = htmlLength; i < htmlBody.length; i++) textBody.push(htmlBody[i]!);
    }
    if (htmlLength === htmlBody.length && textLength !== textBody.length) {
      for (let i = textLength; i < textBody.length; i++) htmlBody.push(textBody[i]!);
    }
  }
}

/** message/rfc822 parts are leaves here: an attached message is one attachment. */
export function selectBodies(root: MimePart): BodySelection {
  const sel: BodySelection = { textBody: [], htmlBody: [], attachments: [] };
  walk([root], 'mixed', false, sel.htmlBody, sel.textBody, sel.attachments);
  return sel;
}
