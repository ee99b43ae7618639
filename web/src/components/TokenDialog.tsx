import { useState } from "preact/hooks";
import { Dialog } from "./Dialog";

interface Props {
  onSave: (token: string) => void;
  onClose: () => void;
  /** The server refused the token this browser sent (rather than there being none). */
  refused?: boolean;
  /** Asked for from the settings, to change a saved token (not because a call was refused). */
  changing?: boolean;
}

/** Asked when the server refused a call for want of a valid API token, or to change the saved one. */
export function TokenDialog({ onSave, onClose, refused = false, changing = false }: Props) {
  const [token, setToken] = useState("");
  return (
    <Dialog title={refused ? "API token refused" : changing ? "Change the API token" : "API token needed"} onClose={onClose}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (token.trim()) onSave(token.trim());
        }}
      >
        <div class="dialog-body">
          {refused ? (
            <p class="form-error" role="alert" data-token-refused>
              The token was refused: the server does not accept the API token saved in this browser. Enter another one.
            </p>
          ) : changing ? (
            <p>The new token replaces the one saved in this browser.</p>
          ) : (
            <p>This Pulse server asks for an API token. It is kept in this browser only.</p>
          )}
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
