import { MethodError, type Args } from '../types.ts';
import { isPlainObject } from './request.ts';

/**
 * Typed readers for method arguments. Each throws invalidArguments naming the argument, so a
 * handler states what it expects in one line and every client mistake reads the same way.
 * Absent and null are the same (RFC 8620 §3.5: null is the default where the type allows it).
 */

const invalid = (description: string) => new MethodError('invalidArguments', description);
const absent = (v: unknown): v is undefined | null => v === undefined || v === null;

/** Id syntax of RFC 8620 §1.2: 1–255 characters of the URL-safe base64 alphabet. */
export const isJmapId = (v: unknown): v is string => typeof v === 'string' && /^[A-Za-z0-9_-]{1,255}$/.test(v);

function required(args: Args, name: string): unknown {
  const v = args[name];
  if (absent(v)) throw invalid(`${name} is required`);
  return v;
}

export function readString(args: Args, name: string): string {
  const v = required(args, name);
  if (typeof v !== 'string') throw invalid(`${name} must be a string`);
  return v;
}

export function readOptionalString(args: Args, name: string): string | null {
  return absent(args[name]) ? null : readString(args, name);
}

export function readId(args: Args, name: string): string {
  const v = required(args, name);
  if (!isJmapId(v)) throw invalid(`${name} must be an Id (1-255 characters of A-Z a-z 0-9 - _)`);
  return v;
}

export function readOptionalId(args: Args, name: string): string | null {
  return absent(args[name]) ? null : readId(args, name);
}

export interface IntOptions {
  min?: number;
  max?: number;
}

export function readInt(args: Args, name: string, opts: IntOptions & { default?: number } = {}): number {
  if (absent(args[name]) && opts.default !== undefined) return opts.default;
  const v = required(args, name);
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw invalid(`${name} must be an integer`);
  if (opts.min !== undefined && v < opts.min) throw invalid(`${name} must be at least ${opts.min}`);
  if (opts.max !== undefined && v > opts.max) throw invalid(`${name} must be at most ${opts.max}`);
  return v;
}

export function readOptionalInt(args: Args, name: string, opts: IntOptions = {}): number | null {
  return absent(args[name]) ? null : readInt(args, name, opts);
}

/** UnsignedInt of RFC 8620 §1.3, with a default when the method description gives one. */
export function readUnsignedInt(args: Args, name: string, defaultValue?: number): number {
  return readInt(args, name, { min: 0, default: defaultValue });
}

/** Without a default the argument is required. */
export function readBoolean(args: Args, name: string, defaultValue?: boolean): boolean {
  if (absent(args[name]) && defaultValue !== undefined) return defaultValue;
  const v = required(args, name);
  if (typeof v !== 'boolean') throw invalid(`${name} must be true or false`);
  return v;
}

export function readObject(args: Args, name: string): Args {
  const v = required(args, name);
  if (!isPlainObject(v)) throw invalid(`${name} must be an object`);
  return v;
}

export function readOptionalObject(args: Args, name: string): Args | null {
  return absent(args[name]) ? null : readObject(args, name);
}

export function readStringArray(args: Args, name: string): string[] {
  const v = required(args, name);
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) throw invalid(`${name} must be an array of strings`);
  return v as string[];
}

export function readOptionalStringArray(args: Args, name: string): string[] | null {
  return absent(args[name]) ? null : readStringArray(args, name);
}

/** Unknown arguments are invalidArguments too (RFC 8620 §3.9). */
export function allowOnly(args: Args, names: readonly string[]): void {
  const unknown = Object.keys(args).filter((k) => !names.includes(k));
  if (unknown.length > 0) throw invalid(`unknown argument${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`);
}
