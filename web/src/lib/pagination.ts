/** Page arithmetic for offset/limit lists. Pages are numbered from 1. */

export interface PageInfo {
  page: number;
  pageCount: number;
  /** 1-based index of the first item shown, 0 when the list is empty. */
  first: number;
  /** 1-based index of the last item shown. */
  last: number;
  total: number;
  hasPrev: boolean;
  hasNext: boolean;
}

export function pageCount(total: number, limit: number): number {
  return Math.max(1, Math.ceil(Math.max(0, total) / limit));
}

export function pageOf(offset: number, limit: number): number {
  return Math.floor(Math.max(0, offset) / limit) + 1;
}

export function offsetOf(page: number, limit: number): number {
  return (Math.max(1, Math.floor(page)) - 1) * limit;
}

/** Clamp a page number asked for in a URL into the pages that exist. */
export function clampPage(page: number, total: number, limit: number): number {
  if (!Number.isFinite(page)) return 1;
  return Math.min(Math.max(1, Math.floor(page)), pageCount(total, limit));
}

export function pageInfo(offset: number, limit: number, shown: number, total: number): PageInfo {
  const page = pageOf(offset, limit);
  const count = pageCount(total, limit);
  return {
    page,
    pageCount: count,
    first: shown > 0 ? offset + 1 : 0,
    last: offset + shown,
    total,
    hasPrev: page > 1,
    hasNext: offset + shown < total,
  };
}
