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
import { Link, matchRoute, useLocation } from "./router";

function Page() {
  const { path } = useLocation();
  const route = matchRoute(path);
  useEffect(() => {
    document.title = route.name === "jobs" ? "Jobs · Pulse" : route.name === "not-found" ? "Not found · Pulse" : "Pulse";
  }, [route.name]);
  switch (route.name) {
    case "jobs":
      return <JobsPage />;
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
          Pulse
        </Link>
        <nav aria-label="Main">
          <Link href="/" class="nav-link">
            Jobs
          </Link>
        </nav>
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
