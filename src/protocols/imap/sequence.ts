import { ImapSyntaxError } from './errors.ts';

/** A message number or UID; '*' is the largest one in use. */
export type SeqNumber = number | '*';
export interface SeqRange {
  from: SeqNumber;
  to: SeqNumber;
}
/** '$' is the saved search result (RFC 5182); it stands alone, never inside a list of ranges. */
export type SequenceSet = SeqRange[] | '$';

const MAX_NUMBER = 0xffffffff;

function seqNumber(text: string): SeqNumber {
  if (text === '*') return '*';
  // nz-number: no leading zero, and 32 bits.
  if (!/^[1-9]\d{0,9}$/.test(text) || Number(text) > MAX_NUMBER) {
    throw new ImapSyntaxError('invalid sequence set: numbers run from 1 to 4294967295');
  }
  return Number(text);
}

export function parseSequenceSet(text: string): SequenceSet {
  if (text === '$') return '$';
  return text.split(',').map((item) => {
    const ends = item.split(':');
    if (ends.length > 2) throw new ImapSyntaxError('invalid sequence set: a range has two ends');
    const from = seqNumber(ends[0]);
    return { from, to: ends.length === 2 ? seqNumber(ends[1]) : from };
  });
}

/** The ranges with '*' as `star`, each low..high (2:4 and 4:2 are the same), sorted, overlaps and neighbours merged. */
export function resolve(set: SeqRange[], star: number): [number, number][] {
  const value = (n: SeqNumber) => (n === '*' ? star : n);
  const ranges = set
    .map(({ from, to }): [number, number] => [Math.min(value(from), value(to)), Math.max(value(from), value(to))])
    .sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const range of ranges) {
    const last = merged[merged.length - 1];
    if (last && range[0] <= last[1] + 1) last[1] = Math.max(last[1], range[1]);
    else merged.push(range);
  }
  return merged;
}

/** Numbers in the compact ascending form of responses: 1:3,5,9:12. */
export function formatSet(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] <= sorted[j] + 1) j++;
    parts.push(sorted[i] === sorted[j] ? `${sorted[i]}` : `${sorted[i]}:${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}
