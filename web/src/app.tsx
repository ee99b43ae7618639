import { useEffect, useRef, useState } from "preact/hooks";
import { onUnauthorized, setToken } from "./api/http";
import { LiveIndicator } from "./components/LiveIndicator";
import { Toasts } from "./components/Toasts";
import { TokenDialog } from "./components/TokenDialog";
import { formatTimeOfDay } from "./lib/format";
import type { LiveStatus } from "./live/connection";
import { live, useLiveMessages, useLiveStatus } from "./live/live";
import { ExecutionPage } from "./pages/ExecutionPage";
import { JobPage } from "./pages/JobPage";
import { JobsPage } from "./pages/JobsPage";
import { OverviewPage } from "./pages/OverviewPage";
import { RunsPage } from "./pages/RunsPage";
import { SettingsPage } from "./pages/SettingsPage";
import { focusMainHeading, Link, matchRoute, type Route, useLocation } from "./router";

const TITLES: Partial<Record<Route["name"], string>> = {
  jobs: "Jobs · Pulse",
  runs: "Runs · Pulse",
  overview: "Overview · Pulse",
  settings: "Settings · Pulse",
  "not-found": "Page not found · Pulse",
};

/** What an unknown address shows (the server serves the app for every page it does not know). */
function PageNotFound({ path }: { path: string }) {
  return (
    <main class="page" id="main">
      <div class="state state--notfound">
        <p class="state-code" aria-hidden="true">
          404
        </p>
        <h1>Page not found</h1>
        <p>
          There is no page at <code>{path}</code>. It may have moved, or the link may be mistyped.
        </p>
        <Link class="btn btn--primary" href="/">
          Go to the jobs
        </Link>
      </div>
    </main>
  );
}

function Page() {
  const { path } = useLocation();
  const route = matchRoute(path);
  useEffect(() => {
    document.title = TITLES[route.name] ?? "Pulse";
  }, [route.name]);
  // Another page: the focus goes to its heading (not on the first load, where it starts at the top).
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    return focusMainHeading();
  }, [path]);
  switch (route.name) {
    case "jobs":
      return <JobsPage />;
    case "runs":
      return <RunsPage />;
    case "overview":
      return <OverviewPage />;
    case "settings":
      return <SettingsPage />;
    case "job":
      return <JobPage key={route.jobId} jobId={route.jobId} />;
    case "execution":
      return <ExecutionPage key={route.executionId} executionId={route.executionId} />;
    default:
      return <PageNotFound path={path} />;
  }
}

const NAV: { href: string; label: string; route: Route["name"][] }[] = [
  { href: "/", label: "Jobs", route: ["jobs", "job"] },
  { href: "/runs", label: "Runs", route: ["runs", "execution"] },
  { href: "/overview", label: "Overview", route: ["overview"] },
  { href: "/settings", label: "Settings", route: ["settings"] },
];

function MainNav() {
  const { path } = useLocation();
  const current = matchRoute(path).name;
  return (
    <nav aria-label="Main" class="nav">
      {NAV.map((n) => (
        <Link
          key={n.href}
          href={n.href}
          class={n.route.includes(current) ? "nav-link nav-link--on" : "nav-link"}
          aria-current={n.route[0] === current ? "page" : undefined}
        >
          {n.label}
        </Link>
      ))}
    </nav>
  );
}

/** Says plainly that what the page shows is no longer current while the server is away. */
function OfflineBanner({ status }: { status: LiveStatus }) {
  if (status !== "offline") return null;
  const since = live.offlineSince;
  return (
    <div class="banner banner--offline" role="alert" data-banner="offline">
      <strong>{since !== null ? "Connection lost" : "Cannot reach the Pulse server"}</strong>
      <span>
        {since !== null ? ` — data shown is from ${formatTimeOfDay(since)}; retrying…` : " — retrying…"}
      </span>
      <button type="button" class="link-button" onClick={() => live.retryNow()}>
        Retry now
      </button>
    </div>
  );
}

export function App() {
  const status = useLiveStatus();
  const [askToken, setAskToken] = useState<{ refused: boolean } | null>(null);
  const [nodeId, setNodeId] = useState<string>();
  useLiveMessages((m) => {
    if (m.type === "hello") setNodeId(m.node_id);
  });
  useEffect(() => onUnauthorized((refused) => setAskToken({ refused })), []);
  useEffect(() => {
    live.start();
    return () => live.stop();
  }, []);
  useEffect(() => {
    // Styles mark times and durations as stale while offline.
    document.documentElement.dataset.connection = status;
  }, [status]);
  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <Link href="/" class="brand" aria-label="Pulse: all jobs">
          <svg width="22" height="22" viewBox="0 0 16 16" aria-hidden="true">
            <path d="M1 9h3l2-6 3 10 2-6h4" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linejoin="round" stroke-linecap="round" />
          </svg>
          <span class="brand-name">Pulse</span>
        </Link>
        <MainNav />
        <span class="spacer" />
        <LiveIndicator status={status} nodeId={nodeId} onRetry={() => live.retryNow()} />
      </header>
      {/* A refused token also keeps the live connection out: the token dialog says why. */}
      {!askToken && <OfflineBanner status={status} />}
      <Page />
      <Toasts />
      {askToken && (
        <TokenDialog
          refused={askToken.refused}
          onClose={() => setAskToken(null)}
          onSave={(t) => {
            setToken(t);
            location.reload();
          }}
        />
      )}
    </>
  );
}
