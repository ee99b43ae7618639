import { useState } from "preact/hooks";
import { Dialog } from "./Dialog";

/** Asked when the server refused a call for want of an API token. */
export function TokenDialog({ onSave, onClose }: { onSave: (token: string) => void; onClose: () => void }) {
  const [token, setToken] = useState("");
  return (
    <Dialog title="API token needed" onClose={onClose}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (token.trim()) onSave(token.trim());
        }}
      >
        <div class="dialog-body">
          <p>This Pulse server asks for an API token. It is kept in this browser only.</p>
          <div class="field">
            <label for="api-token">API token</label>
            <input id="api-token" type="password" autoComplete="off" value={token} onInput={(e) => setToken(e.currentTarget.value)} autoFocus />
          </div>
        </div>
        <footer class="dialog-footer">
          <button type="button" class="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="btn btn--primary" disabled={!token.trim()}>
            Save token
          </button>
        </footer>
      </form>
    </Dialog>
  );
}
