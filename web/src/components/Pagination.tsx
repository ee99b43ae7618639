import { type PageInfo } from "../lib/pagination";

interface Props {
  info: PageInfo;
  onPage: (page: number) => void;
  label?: string;
}

/** First / previous / "page 2 of 3" / next / last: fits a 375 px screen. */
export function Pagination({ info, onPage, label = "Pagination" }: Props) {
  if (info.total === 0) return null;
  return (
    <nav class="pagination" aria-label={label}>
      <span class="pagination-range" aria-live="polite">
        {info.first}–{info.last} of {info.total}
      </span>
      <div class="pagination-buttons">
        <button type="button" class="btn btn--icon" disabled={!info.hasPrev} onClick={() => onPage(1)} aria-label="First page">
          «
        </button>
        <button type="button" class="btn" disabled={!info.hasPrev} onClick={() => onPage(info.page - 1)} aria-label="Previous page">
          <span aria-hidden="true">‹</span> Previous
        </button>
        <span class="pagination-page">
          {info.page} / {info.pageCount}
        </span>
        <button type="button" class="btn" disabled={!info.hasNext} onClick={() => onPage(info.page + 1)} aria-label="Next page">
          Next <span aria-hidden="true">›</span>
        </button>
        <button
          type="button"
          class="btn btn--icon"
          disabled={!info.hasNext}
          onClick={() => onPage(info.pageCount)}
          aria-label="Last page"
        >
          »
        </button>
      </div>
    </nav>
  );
}
