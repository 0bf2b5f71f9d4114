import type { FastifyRequest } from 'fastify';
import { baseUrl } from '../../jmap/base-url.ts';
import { detail } from './errors.ts';

export const PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 100;

export interface PageQuery {
  page?: string;
  page_size?: string;
}

export interface PageWindow {
  page: number;
  size: number;
  offset: number;
}

const INVALID_PAGE = 'Invalid page.';

/** DRF's PageNumberPagination: a page that is not a number is not found; an odd page size falls back to the default. */
export function pageWindow(q: PageQuery): PageWindow {
  const page = q.page === undefined ? 1 : /^\d{1,9}$/.test(q.page) ? Number(q.page) : 0;
  if (page < 1) throw detail(404, INVALID_PAGE);
  const asked = q.page_size !== undefined && /^\d{1,9}$/.test(q.page_size) ? Number(q.page_size) : 0;
  const size = asked > 0 ? Math.min(asked, MAX_PAGE_SIZE) : PAGE_SIZE;
  return { page, size, offset: (page - 1) * size };
}

/** `{count, next, previous, results}` with absolute links that keep every other query parameter. */
export function paginated<T>(req: FastifyRequest, hostname: string, w: PageWindow, count: number, results: T[]) {
  // Past the last page is an error; an empty first page is an empty list.
  if (w.page > 1 && w.offset >= count) throw detail(404, INVALID_PAGE);
  const link = (page: number) => {
    const url = new URL(req.url, baseUrl(req, hostname));
    if (page === 1) url.searchParams.delete('page');
    else url.searchParams.set('page', String(page));
    return url.toString();
  };
  return { count, next: w.offset + w.size < count ? link(w.page + 1) : null, previous: w.page > 1 ? link(w.page - 1) : null, results };
}
