/** The job actions as a page uses them: API calls, toasts, and the edit and delete dialogs. */
import { useState } from "preact/hooks";
import { describeError } from "../api/errors";
import { createJob, deleteJob, type Job, pauseJob, resumeJob, triggerJob, updateJob } from "../api/jobs";
import { ConfirmDialog } from "../components/Dialog";
import { JobForm } from "../components/JobForm";
import { toast } from "../components/Toasts";
import { markRequested } from "../lib/requested";
import { Link } from "../router";

interface Options {
  onSaved: (job: Job) => void;
  onDeleted: (jobId: string) => void;
  onTriggered?: (executionId: string, job: Job) => void;
}

type Editing = { kind: "create" } | { kind: "edit"; job: Job } | { kind: "delete"; job: Job } | null;

export function useJobActions({ onSaved, onDeleted, onTriggered }: Options) {
  const [busy, setBusy] = useState<Set<string>>(new Set());
  const [editing, setEditing] = useState<Editing>(null);
  const [deleteError, setDeleteError] = useState<string>();
  const [deleting, setDeleting] = useState(false);

  const withBusy = async (jobId: string, fn: () => Promise<void>) => {
    setBusy((b) => new Set(b).add(jobId));
    try {
      await fn();
    } catch (err) {
      toast(describeError(err), "error");
    } finally {
      setBusy((b) => {
        const n = new Set(b);
        n.delete(jobId);
        return n;
      });
    }
  };

  const run = (job: Job) =>
    withBusy(job.id, async () => {
      const r = await triggerJob(job.id);
      markRequested(r.execution_id);
      onTriggered?.(r.execution_id, job);
      toast(
        <>
          Started <strong>{job.name}</strong> ·{" "}
          <Link href={`/executions/${encodeURIComponent(r.execution_id)}`}>view execution</Link>
        </>,
      );
    });

  const toggle = (job: Job) =>
    withBusy(job.id, async () => {
      const saved = job.state === "paused" ? await resumeJob(job.id) : await pauseJob(job.id);
      onSaved(saved);
      toast(`${saved.name} ${saved.state === "paused" ? "paused" : "resumed"}`);
    });

  const remove = async (job: Job) => {
    setDeleting(true);
    setDeleteError(undefined);
    try {
      await deleteJob(job.id);
      setEditing(null);
      onDeleted(job.id);
      toast(`Deleted ${job.name}`);
    } catch (err) {
      setDeleteError(describeError(err));
    } finally {
      setDeleting(false);
    }
  };

  const dialogs =
    editing?.kind === "create" || editing?.kind === "edit" ? (
      <JobForm
        job={editing.kind === "edit" ? editing.job : undefined}
        onSubmit={(body) => (editing.kind === "edit" ? updateJob(editing.job.id, body) : createJob(body))}
        onClose={() => setEditing(null)}
        onSaved={(job) => {
          setEditing(null);
          onSaved(job);
          toast(editing.kind === "edit" ? `Saved ${job.name}` : `Created ${job.name}`);
        }}
      />
    ) : editing?.kind === "delete" ? (
      <ConfirmDialog
        title={`Delete “${editing.job.name}”?`}
        message="The job stops running and is removed with its whole history: every execution and its log. This cannot be undone."
        confirmLabel="Delete job"
        busy={deleting}
        error={deleteError}
        onConfirm={() => void remove(editing.job)}
        onClose={() => {
          setEditing(null);
          setDeleteError(undefined);
        }}
      />
    ) : null;

  return {
    busy: (jobId: string) => busy.has(jobId),
    run,
    toggle,
    create: () => setEditing({ kind: "create" }),
    edit: (job: Job) => setEditing({ kind: "edit", job }),
    confirmDelete: (job: Job) => setEditing({ kind: "delete", job }),
    dialogs,
  };
}
