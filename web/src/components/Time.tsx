import { formatExact, formatRelative } from "../lib/format";
import { useNow } from "../hooks/useNow";

/** "3 minutes ago", with the exact local time on hover and for screen readers' "time" element. */
export function RelativeTime({ iso, fallback = "—" }: { iso: string | undefined; fallback?: string }) {
  const now = useNow(15_000, iso !== undefined);
  if (!iso) return <span class="muted">{fallback}</span>;
  return (
    <time dateTime={iso} title={formatExact(iso)}>
      {formatRelative(iso, now)}
    </time>
  );
}
