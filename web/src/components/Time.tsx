import { formatExact, formatRelative } from "../lib/format";
import { useNow } from "../hooks/useNow";

/**
 * "3 minutes ago", with the exact local time on hover and in the "time" element. Recent times
 * tick every second, so that "12 seconds ago" agrees with a running duration beside it.
 */
export function RelativeTime({ iso, fallback = "—" }: { iso: string | undefined; fallback?: string }) {
  const t = iso ? Date.parse(iso) : NaN;
  const recent = Math.abs(Date.now() - t) < 90_000;
  const now = useNow(recent ? 1000 : 15_000, iso !== undefined);
  if (!iso) return <span class="muted">{fallback}</span>;
  return (
    <time dateTime={iso} title={formatExact(iso)}>
      {formatRelative(iso, now)}
    </time>
  );
}
