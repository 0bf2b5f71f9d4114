/**
 * Bounds on an uploaded archive. The body is buffered whole, so its limit is also the memory an
 * import may take; the inflated bounds are what stop a zip bomb, and they are checked against
 * the bytes actually inflated, not the sizes the archive claims.
 */
export interface PdpaLimits {
  /** Largest accepted request body (the compressed zip). */
  maxArchiveBytes: number;
  /** Largest sum of inflated bytes over every entry. */
  maxTotalBytes: number;
  /** Largest inflated .eml: the same bound every other ingest path applies. */
  maxMessageBytes: number;
  /** Largest inflated JSON file (folder.json lists every message of a folder). */
  maxJsonBytes: number;
  maxEntries: number;
}

/** An archive may be this many times maxMessageSize: 1 GiB with the 50 MiB default. */
export const ARCHIVE_FACTOR = 20;
/** Mail compresses well but rarely beyond 2:1 overall; anything denser than this is refused. */
export const INFLATE_FACTOR = 2;
export const MAX_JSON_BYTES = 32 * 1024 * 1024;
export const MAX_ENTRIES = 200_000;

export function pdpaLimits(maxMessageSize: number): PdpaLimits {
  const maxArchiveBytes = maxMessageSize * ARCHIVE_FACTOR;
  return {
    maxArchiveBytes,
    maxTotalBytes: maxArchiveBytes * INFLATE_FACTOR,
    maxMessageBytes: maxMessageSize,
    maxJsonBytes: MAX_JSON_BYTES,
    maxEntries: MAX_ENTRIES,
  };
}
