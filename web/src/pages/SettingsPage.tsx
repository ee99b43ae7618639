/**
 * Settings: the global retention policy (every job follows it, but for the rules a job sets
 * itself), a prune run now after a dry-run preview, and the prunes done lately.
 */
import { useState } from "preact/hooks";
import { describeError, InvalidInputError } from "../api/errors";
import { listJobs } from "../api/jobs";
import {
  getRetentionPolicy,
  listPrunes,
  prune,
  type PruneReport,
  type RetentionPolicy,
  saveRetentionPolicy,
} from "../api/retention";
import { ConfirmDialog } from "../components/Dialog";
import { RetentionFields } from "../components/RetentionFields";
import { ErrorState, Loading } from "../components/States";
import { toast } from "../components/Toasts";
import { TokenCard } from "../components/TokenCard";
import { RelativeTime } from "../components/Time";
import { useAsync } from "../hooks/useAsync";
import { errorsByRule, formFromPolicy, policyFromForm, policyInWords, type RetentionForm, type RuleKey } from "../lib/retention";
import { Link } from "../router";

export function SettingsPage() {
  const policy = useAsync(getRetentionPolicy, []);
  const prunes = useAsync(() => listPrunes(20), []);
  return (
    <main class="page" id="main">
      <div class="page-header">
        <div>
          <h1>Settings</h1>
          <p class="muted page-sub">How long Pulse keeps the history of finished runs, and this browser's API token</p>
        </div>
      </div>
      <section class="card" aria-labelledby="policy-title" data-section="policy">
        <div class="section-header">
          <h2 id="policy-title">Retention policy</h2>
        </div>
        {policy.state.status === "loading" && <Loading label="Loading the retention policy" rows={3} />}
        {policy.state.status === "error" && <ErrorState error={policy.state.error} onRetry={policy.retry} />}
        {policy.state.data && (
          <PolicyForm
            key={JSON.stringify(policy.state.data)}
            policy={policy.state.data}
            onSaved={(p) => policy.setState({ status: "ok", data: p })}
          />
        )}
      </section>
      <PruneCard onPruned={prunes.reload} />
      <section class="card" aria-labelledby="prunes-title" data-section="prunes">
        <div class="section-header">
          <h2 id="prunes-title">Recent prunes</h2>
        </div>
        {prunes.state.status === "loading" && <Loading label="Loading recent prunes" rows={3} />}
        {prunes.state.status === "error" && <ErrorState error={prunes.state.error} onRetry={prunes.retry} />}
        {prunes.state.data && <PruneList prunes={prunes.state.data} />}
      </section>
      <TokenCard />
    </main>
  );
}

function PolicyForm({ policy, onSaved }: { policy: RetentionPolicy; onSaved: (p: RetentionPolicy) => void }) {
  const [form, setForm] = useState<RetentionForm>(() => formFromPolicy(policy));
  const [errors, setErrors] = useState<Partial<Record<RuleKey, string>>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const dirty = JSON.stringify(form) !== JSON.stringify(formFromPolicy(policy));

  const submit = async (e: Event) => {
    e.preventDefault();
    const { policy: body, errors: local } = policyFromForm(form);
    setErrors(local);
    setFormError(null);
    if (Object.keys(local).length) return;
    setBusy(true);
    try {
      const saved = await saveRetentionPolicy(body);
      onSaved(saved);
      toast("Saved the retention policy");
    } catch (err) {
      if (err instanceof InvalidInputError) {
        const { byRule, other } = errorsByRule(err.fields);
        setErrors(byRule);
        if (other.length || !err.fields.length) setFormError(other.join("; ") || err.message);
      } else {
        setFormError(describeError(err));
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="settings-form" onSubmit={submit} noValidate>
      <p class="muted section-note">
        Finished runs past these limits are deleted when Pulse prunes (it does so by itself, and you can below); their
        statistics stay. A job can set its own rules on its page. The newest runs of a job and its latest failure are
        always kept.
      </p>
      <RetentionFields idPrefix="policy" form={form} errors={errors} onChange={setForm} />
      {formError && (
        <p class="form-error" role="alert">
          {formError}
        </p>
      )}
      <div class="actions">
        <button type="submit" class="btn btn--primary" disabled={busy || !dirty}>
          {busy ? "Saving…" : "Save policy"}
        </button>
        <button type="button" class="btn" disabled={busy || !dirty} onClick={() => setForm(formFromPolicy(policy))}>
          Discard changes
        </button>
      </div>
    </form>
  );
}

function PruneCard({ onPruned }: { onPruned: () => void }) {
  const [preview, setPreview] = useState<PruneReport | null>(null);
  const [names, setNames] = useState<Map<string, string>>(new Map());
  const [busy, setBusy] = useState<"preview" | "prune" | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string>();

  const run = async (dryRun: boolean) => {
    setBusy(dryRun ? "preview" : "prune");
    setError(undefined);
    try {
      const [report, jobs] = await Promise.all([prune(dryRun), listJobs().catch(() => [])]);
      setNames(new Map(jobs.map((j) => [j.id, j.name])));
      if (dryRun) {
        setPreview(report);
      } else {
        setPreview(null);
        setConfirming(false);
        toast(report.deleted === 1 ? "Pruned 1 execution" : `Pruned ${report.deleted.toLocaleString("en")} executions`);
      }
      onPruned();
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(null);
    }
  };

  return (
    <section class="card" aria-labelledby="prune-title" data-section="prune">
      <div class="section-header">
        <h2 id="prune-title">Prune now</h2>
        <div class="actions">
          <button type="button" class="btn" disabled={busy !== null} onClick={() => void run(true)}>
            {busy === "preview" ? "Looking…" : "Preview"}
          </button>
          <button type="button" class="btn btn--danger-ghost" disabled={busy !== null} onClick={() => setConfirming(true)}>
            Prune now
          </button>
        </div>
      </div>
      <p class="muted section-note">
        The preview is a dry run: it shows what a prune would delete under the policies in force, and deletes nothing.
      </p>
      {error && !confirming && (
        <p class="form-error section-note" role="alert">
          {error}
        </p>
      )}
      {preview && (
        <div class="prune-preview" data-preview aria-live="polite">
          <p class="section-note">
            <strong>
              {preview.deleted === 0
                ? "Nothing would be deleted."
                : `${preview.deleted.toLocaleString("en")} ${preview.deleted === 1 ? "execution" : "executions"} would be deleted`}
            </strong>
            {preview.deleted > 0 && ` from ${preview.jobs.length} ${preview.jobs.length === 1 ? "job" : "jobs"}.`}
          </p>
          {preview.jobs.length > 0 && (
            <div class="table-wrap">
              <table class="data-table data-table--wide">
                <thead>
                  <tr>
                    <th scope="col">Job</th>
                    <th scope="col">Would delete</th>
                    <th scope="col">Under the rules</th>
                  </tr>
                </thead>
                <tbody>
                  {preview.jobs.map((j) => (
                    <tr key={j.job_id} data-job-id={j.job_id}>
                      <td>
                        <Link href={`/jobs/${encodeURIComponent(j.job_id)}`} class="job-link">
                          {names.get(j.job_id) ?? j.job_id}
                        </Link>
                      </td>
                      <td data-deleted>{j.deleted.toLocaleString("en")}</td>
                      <td class="muted">{policyInWords(j.policy)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </div>
      )}
      {confirming && (
        <ConfirmDialog
          title="Prune now?"
          message={
            preview
              ? `This deletes about ${preview.deleted.toLocaleString("en")} finished executions and their logs, as the preview showed. Statistics stay. This cannot be undone.`
              : "This deletes the finished executions (and their logs) that the retention policies no longer keep. Statistics stay. This cannot be undone."
          }
          confirmLabel="Prune now"
          busy={busy === "prune"}
          error={error}
          onConfirm={() => void run(false)}
          onClose={() => {
            setConfirming(false);
            setError(undefined);
          }}
        />
      )}
    </section>
  );
}

function PruneList({ prunes }: { prunes: PruneReport[] }) {
  if (prunes.length === 0) return <p class="section-empty muted">No prune has run yet.</p>;
  return (
    <div class="table-wrap">
      <table class="data-table data-table--wide">
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">How</th>
            <th scope="col">Deleted</th>
            <th scope="col">Jobs</th>
            <th scope="col">Global policy</th>
            <th scope="col">Node</th>
          </tr>
        </thead>
        <tbody>
          {prunes.map((p) => (
            <tr key={`${p.started_at}-${p.node_id}`} data-prune>
              <td class="nowrap">
                <RelativeTime iso={p.started_at} />
              </td>
              <td class="nowrap">
                {p.trigger === "manual" ? "by hand" : "scheduled"}
                {p.dry_run && <span class="tag">dry run</span>}
              </td>
              <td data-deleted>{p.deleted.toLocaleString("en")}</td>
              <td>{p.jobs.length}</td>
              <td class="muted">{policyInWords(p.policy)}</td>
              <td>
                <code class="small">{p.node_id}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
