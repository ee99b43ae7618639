import type { ComponentChildren } from "preact";
import { describeError, ServerUnreachableError } from "../api/errors";
import { Link } from "../router";

export function Loading({ label = "Loading…", rows = 4 }: { label?: string; rows?: number }) {
  return (
    <div class="loading" role="status" aria-label={label}>
      {Array.from({ length: rows }, (_, i) => (
        <div key={i} class="skeleton" style={{ width: `${92 - ((i * 17) % 30)}%` }} />
      ))}
    </div>
  );
}

export function ErrorState({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const unreachable = error instanceof ServerUnreachableError;
  return (
    <div class="state state--error" role="alert">
      <h2>{unreachable ? "The Pulse server is not answering" : "Something went wrong"}</h2>
      <p>
        {unreachable && error.status
          ? `It answered: ${error.message}. Pulse will try again by itself; you can also retry now.`
          : unreachable
            ? "It may be restarting or stopped. Pulse will reconnect by itself; you can also retry now."
            : describeError(error)}
      </p>
      {onRetry && (
        <button type="button" class="btn btn--primary" onClick={onRetry}>
          Retry
        </button>
      )}
    </div>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ComponentChildren }) {
  return (
    <div class="state state--empty">
      <h2>{title}</h2>
      {children}
    </div>
  );
}

export function NotFound({ what }: { what: string }) {
  return (
    <div class="state state--notfound">
      <p class="state-code">404</p>
      <h1>Not found</h1>
      <p>{what}</p>
      <Link class="btn btn--primary" href="/">
        Back to jobs
      </Link>
    </div>
  );
}
