/** Cancel and re-run, for one execution or several, each behind a confirmation dialog. */
import { useState } from "preact/hooks";
import { describeError } from "../api/errors";
import { cancelExecution, type PulseExecution, type RerunResponse, rerunExecution } from "../api/executions";
import { ConfirmDialog } from "../components/Dialog";
import { toast } from "../components/Toasts";
import { markRequested } from "../lib/requested";

interface Options {
  /** The executions as the server answered a cancel (with `cancel_requested_at`). */
  onCancelled?: (executions: PulseExecution[]) => void;
  /** The new executions, after re-runs were asked for. */
  onRerun?: (runs: RerunResponse[]) => void;
  /** A name for an execution in sentences ("backup"). */
  nameOf?: (e: PulseExecution) => string;
}

type Asking = { kind: "cancel" | "rerun"; executions: PulseExecution[] } | null;

export function useRunActions({ onCancelled, onRerun, nameOf }: Options = {}) {
  const [asking, setAsking] = useState<Asking>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  const close = () => {
    setAsking(null);
    setError(undefined);
  };

  const act = async (a: NonNullable<Asking>) => {
    setBusy(true);
    setError(undefined);
    const results = await Promise.allSettled(
      a.executions.map((e) => (a.kind === "cancel" ? cancelExecution(e.id) : rerunExecution(e.id))),
    );
    setBusy(false);
    const done = results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
    const failed = results.flatMap((r) => (r.status === "rejected" ? [describeError(r.reason)] : []));
    if (a.executions.length === 1 && failed.length === 1) {
      setError(failed[0]);
      return;
    }
    close();
    if (a.kind === "cancel") onCancelled?.(done as PulseExecution[]);
    else {
      for (const r of done as RerunResponse[]) markRequested(r.execution_id);
      onRerun?.(done as RerunResponse[]);
    }
    const verb = a.kind === "cancel" ? "Cancelling" : "Re-running";
    if (done.length) toast(done.length === 1 ? `${verb} the run` : `${verb} ${done.length} runs`);
    if (failed.length) toast(`${failed.length} could not be ${a.kind === "cancel" ? "cancelled" : "re-run"}: ${failed[0]}`, "error");
  };

  let dialog = null;
  if (asking) {
    const n = asking.executions.length;
    const one = asking.executions[0];
    const name = one && nameOf ? nameOf(one) : undefined;
    dialog =
      asking.kind === "cancel" ? (
        <ConfirmDialog
          title={n === 1 ? "Cancel this run?" : `Cancel ${n} runs?`}
          message={
            <p>
              {n === 1 ? (name ? <>The run of <strong>{name}</strong> is stopped</> : "The run is stopped") : `${n} runs are stopped`}
              : a command gets SIGTERM (and SIGKILL if it lingers). {n === 1 ? "It ends" : "They end"} as failed,
              “cancelled”.
            </p>
          }
          confirmLabel={n === 1 ? "Cancel run" : `Cancel ${n} runs`}
          busyLabel="Cancelling…"
          dismissLabel="Keep running"
          busy={busy}
          error={error}
          onConfirm={() => void act(asking)}
          onClose={close}
        />
      ) : (
        <ConfirmDialog
          title={n === 1 ? "Re-run this run?" : `Re-run ${n} runs?`}
          message={
            <p>
              {n === 1 ? (name ? <><strong>{name}</strong> runs</> : "The job runs") : `Each of the ${n} runs' jobs runs`} again
              now, as defined today. Each new run is linked to the one it re-runs.
            </p>
          }
          confirmLabel={n === 1 ? "Re-run" : `Re-run ${n} runs`}
          busyLabel="Starting…"
          tone="primary"
          busy={busy}
          error={error}
          onConfirm={() => void act(asking)}
          onClose={close}
        />
      );
  }

  return {
    askCancel: (executions: PulseExecution[]) => setAsking({ kind: "cancel", executions }),
    askRerun: (executions: PulseExecution[]) => setAsking({ kind: "rerun", executions }),
    dialog,
  };
}
