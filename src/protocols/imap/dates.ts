import { ImapSyntaxError } from './errors.ts';

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];

function daysIn(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** RFC 9051 `date-text` (1-Feb-1994, the month in any case) as 'YYYY-MM-DD'; a day the month lacks is an error. */
export function parseImapDate(text: string): string {
  const m = /^(\d{1,2})-([a-z]{3})-(\d{4})$/i.exec(text);
  const month = m ? MONTHS.indexOf(m[2].toUpperCase()) + 1 : 0;
  if (!m || month === 0 || Number(m[1]) === 0 || Number(m[1]) > daysIn(Number(m[3]), month)) {
    throw new ImapSyntaxError('invalid date, expected the form 1-Feb-1994');
  }
  return `${m[3]}-${String(month).padStart(2, '0')}-${m[1].padStart(2, '0')}`;
}
