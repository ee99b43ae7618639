import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";

interface Props {
  title: string;
  onClose: () => void;
  children: ComponentChildren;
  wide?: boolean;
}

/** A modal on the native <dialog>: focus is trapped, Escape closes, focus returns where it was. */
export function Dialog({ title, onClose, children, wide }: Props) {
  const ref = useRef<HTMLDialogElement>(null);
  // Taken at the first render, before anything inside the dialog takes the focus.
  const [before] = useState(() => document.activeElement as HTMLElement | null);
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open && typeof d.showModal === "function") d.showModal();
    return () => {
      // Close first: while a modal is open the rest of the page is inert and cannot take focus.
      if (d?.open) d.close();
      before?.focus?.();
    };
  }, []);
  return (
    <dialog
      ref={ref}
      class={wide ? "dialog dialog--wide" : "dialog"}
      aria-labelledby="dialog-title"
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
      onClick={(e) => {
        // A click on the backdrop (the dialog itself, outside its box) closes it.
        if (e.target === ref.current) onClose();
      }}
    >
      <div class="dialog-box">
        <header class="dialog-header">
          <h2 id="dialog-title">{title}</h2>
          <button type="button" class="btn btn--icon btn--ghost" aria-label="Close" onClick={onClose}>
            ✕
          </button>
        </header>
        {children}
      </div>
    </dialog>
  );
}

interface ConfirmProps {
  title: string;
  message: ComponentChildren;
  confirmLabel: string;
  /** What the confirm button says while the action runs. */
  busyLabel?: string;
  /** A destructive action gets the red button; others the primary one. */
  tone?: "danger" | "primary";
  /** What the button that closes without acting says. */
  dismissLabel?: string;
  busy?: boolean;
  error?: string | undefined;
  onConfirm: () => void;
  onClose: () => void;
}

export function ConfirmDialog({
  title,
  message,
  confirmLabel,
  busyLabel = "Deleting…",
  tone = "danger",
  dismissLabel = "Cancel",
  busy,
  error,
  onConfirm,
  onClose,
}: ConfirmProps) {
  return (
    <Dialog title={title} onClose={onClose}>
      <div class="dialog-body">
        <div class="dialog-message">{message}</div>
        {error && (
          <p class="form-error" role="alert">
            {error}
          </p>
        )}
      </div>
      <footer class="dialog-footer">
        <button type="button" class="btn" onClick={onClose} autoFocus>
          {dismissLabel}
        </button>
        <button type="button" class={`btn btn--${tone}`} disabled={busy} onClick={onConfirm}>
          {busy ? busyLabel : confirmLabel}
        </button>
      </footer>
    </Dialog>
  );
}
