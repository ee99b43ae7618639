import { useEffect, useState } from "preact/hooks";
import { onUnauthorized, setToken } from "./api/http";
import { LiveIndicator } from "./components/LiveIndicator";
import { NotFound } from "./components/States";
import { Toasts } from "./components/Toasts";
import { TokenDialog } from "./components/TokenDialog";
import { live, useLiveMessages, useLiveStatus } from "./live/live";
import { ExecutionPage } from "./pages/ExecutionPage";
import { JobPage } from "./pages/JobPage";
import { JobsPage } from "./pages/JobsPage";
import { OverviewPage } from "./pages/OverviewPage";
import { SettingsPage } from "./pages/SettingsPage";
import { Link, matchRoute, type Route, useLocation } from "./router";

const TITLES: Partial<Record<Route["name"], string>> = {
  jobs: "Jobs · Pulse",
  overview: "Overview · Pulse",
  settings: "Settings · Pulse",
  "not-found": "Not found · Pulse",
};

function Page() {
  const { path } = useLocation();
  const route = matchRoute(path);
  useEffect(() => {
    document.title = TITLES[route.name] ?? "Pulse";
  }, [route.name]);
  switch (route.name) {
    case "jobs":
      return <JobsPage />;
    case "overview":
      return <OverviewPage />;
    case "settings":
      return <SettingsPage />;
    case "job":
      return <JobPage key={route.jobId} jobId={route.jobId} />;
    case "execution":
      return <ExecutionPage key={route.executionId} executionId={route.executionId} />;
    default:
      return (
        <main class="page" id="main">
          <NotFound what={`Nothing lives at ${path}.`} />
        </main>
      );
  }
}

const NAV: { href: string; label: string; route: Route["name"][] }[] = [
  { href: "/", label: "Jobs", route: ["jobs", "job", "execution"] },
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

export function App() {
  const status = useLiveStatus();
  const [askToken, setAskToken] = useState(false);
  const [nodeId, setNodeId] = useState<string>();
  useLiveMessages((m) => {
    if (m.type === "hello") setNodeId(m.node_id);
  });
  useEffect(() => onUnauthorized(() => setAskToken(true)), []);
  useEffect(() => {
    live.start();
    return () => live.stop();
  }, []);
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
      <Page />
      <Toasts />
      {askToken && (
        <TokenDialog
          onClose={() => setAskToken(false)}
          onSave={(t) => {
            setToken(t);
            location.reload();
          }}
        />
      )}
    </>
  );
}
