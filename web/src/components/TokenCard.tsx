/** The API token this browser sends: whether there is one, and changing or forgetting it. */
import { useState } from "preact/hooks";
import { getToken, setToken } from "../api/http";
import { TokenDialog } from "./TokenDialog";

export function TokenCard({ reload = () => location.reload() }: { reload?: () => void }) {
  const [saved, setSaved] = useState(() => getToken());
  const [changing, setChanging] = useState(false);
  return (
    <section class="card" aria-labelledby="token-title" data-section="token">
      <div class="section-header">
        <h2 id="token-title">API token</h2>
      </div>
      <div class="token-card">
        <p class="muted" data-token-state={saved ? "saved" : "none"}>
          {saved
            ? `A token ending in “${saved.slice(-4)}” is saved in this browser and sent with every request.`
            : "No token is saved in this browser. A server that asks for one will prompt for it."}
        </p>
        <div class="actions">
          <button type="button" class="btn" onClick={() => setChanging(true)}>
            {saved ? "Change token" : "Set a token"}
          </button>
          {saved && (
            <button
              type="button"
              class="btn btn--danger-ghost"
              onClick={() => {
                setToken(null);
                setSaved(null);
                reload();
              }}
            >
              Forget token
            </button>
          )}
        </div>
      </div>
      {changing && (
        <TokenDialog
          changing
          onClose={() => setChanging(false)}
          onSave={(t) => {
            setToken(t);
            setSaved(t);
            setChanging(false);
            reload();
          }}
        />
      )}
    </section>
  );
}
