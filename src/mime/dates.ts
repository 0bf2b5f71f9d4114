// RFC 5322 date-time parsing, lenient about what real mail contains: missing weekday or seconds,
// two-digit years, named or military zones, comments, doubled commas, ISO dates.

const MONTHS: Record<string, number> = {
  jan: 0, feb: 1, mar: 2, apr: 3, may: 4, jun: 5, jul: 6, aug: 7, sep: 8, oct: 9, nov: 10, dec: 11,
};

/** Offsets in minutes east of UTC (RFC 5322 §4.3 obs-zone plus common abbreviations). */
const ZONES: Record<string, number> = {
  ut: 0, utc: 0, gmt: 0, z: 0, wet: 0, bst: 60, cet: 60, met: 60, mez: 60, cest: 120, mest: 120, eet: 120,
  eest: 180, msk: 180, ist: 330, jst: 540, kst: 540, hkt: 480, sgt: 480, aest: 600, aedt: 660,
  est: -300, edt: -240, cst: -360, cdt: -300, mst: -420, mdt: -360, pst: -480, pdt: -420,
  akst: -540, akdt: -480, hst: -600, nzst: 720, nzdt: 780,
};

const MAX_INPUT = 200;

function stripComments(s: string): string {
  if (s.indexOf('(') < 0) return s;
  let out = '';
  let depth = 0;
  for (const ch of s) {
    if (ch === '(') depth++;
    else if (ch === ')') depth = Math.max(0, depth - 1);
    else if (depth === 0) out += ch;
  }
  return out;
}

function isDigits(t: string): boolean {
  if (t.length === 0) return false;
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** "+0200", "-05:00", "+2" → minutes, or null. */
function numericZone(t: string): number | null {
  const sign = t[0] === '-' ? -1 : t[0] === '+' ? 1 : 0;
  if (!sign) return null;
  const d = t.slice(1).replace(':', '');
  if (!isDigits(d) || d.length > 4) return null;
  const n = d.length <= 2 ? Number(d) * 100 : Number(d);
  const h = Math.floor(n / 100);
  const m = n % 100;
  if (h > 23 || m > 59) return null;
  return sign * (h * 60 + m);
}

function parseRfc5322(s: string): number | null {
  let day = -1;
  let month = -1;
  let year = -1;
  let hh = 0;
  let mm = 0;
  let ss = 0;
  let zone: number | null = null;
  let sawTime = false;
  for (let tok of s.split(/[\s,]+/)) {
    if (!tok) continue;
    const lower = tok.toLowerCase();
    if (!sawTime && /^\d{1,2}:\d{1,2}/.test(tok)) {
      // time, possibly glued to its zone: "10:52:37+0200"
      const zi = tok.search(/[+-]/);
      if (zi > 0) {
        zone = numericZone(tok.slice(zi));
        tok = tok.slice(0, zi);
      }
      const [h, m, sec] = tok.split(':');
      hh = Number(h);
      mm = Number(m);
      const secN = sec === undefined ? 0 : parseInt(sec, 10);
      ss = Number.isFinite(secN) ? secN : 0;
      sawTime = true;
      continue;
    }
    if (tok[0] === '+' || tok[0] === '-') {
      const z = numericZone(tok);
      if (z !== null) zone = z;
      continue;
    }
    if (isDigits(tok)) {
      if (day < 0 && tok.length <= 2) day = Number(tok);
      else if (year < 0 && tok.length <= 4) year = Number(tok);
      continue;
    }
    if (month < 0) {
      const m = MONTHS[lower.slice(0, 3)];
      if (m !== undefined && /^[a-z]+\.?$/.test(lower)) {
        month = m;
        continue;
      }
    }
    // "1-Jan-2020" style
    if (month < 0 && tok.indexOf('-') > 0) {
      const [d, mon, y] = lower.split('-');
      const m = MONTHS[(mon ?? '').slice(0, 3)];
      if (d && isDigits(d) && m !== undefined && y && isDigits(y)) {
        day = Number(d);
        month = m;
        year = Number(y);
        continue;
      }
    }
    if (Object.prototype.hasOwnProperty.call(ZONES, lower)) zone = ZONES[lower]!;
    else if (lower.length === 1 && lower >= 'a' && lower <= 'z') zone = 0; // military zones: RFC 5322 says treat as unknown
  }
  if (day < 1 || day > 31 || month < 0 || year < 0) return null;
  if (year < 50) year += 2000;
  else if (year < 1000) year += 1900;
  if (hh > 24 || mm > 59 || ss > 60 || Number.isNaN(hh + mm + ss)) return null;
  if (ss === 60) ss = 59;
  const t = Date.UTC(year, month, day, hh, mm, ss) - (zone ?? 0) * 60_000;
  return Number.isFinite(t) ? t : null;
}

/** Date header value → epoch milliseconds, or null when it cannot be understood. */
export function parseDate(value: string | null): number | null {
  if (!value) return null;
  const s = stripComments(value.length > MAX_INPUT ? value.slice(0, MAX_INPUT) : value)
    .replace(/\s*:\s*/g, ':')
    .trim();
  if (!s) return null;
  const t = parseRfc5322(s);
  if (t !== null) return t;
  const fallback = Date.parse(s);
  return Number.isFinite(fallback) ? fallback : null;
}
