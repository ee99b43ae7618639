/** A job's retention on its page: the rules it runs under (its own marked), and their editor. */
import { useState } from "preact/hooks";
import { describeError, InvalidInputError } from "../api/errors";
import type { Job } from "../api/jobs";
import { getRetentionPolicy, jobRetention, type RetentionPolicy, setJobRetention } from "../api/retention";
import { Dialog } from "../components/Dialog";
import { RetentionFields } from "../components/RetentionFields";
import { RetentionRules } from "../components/RetentionRules";
import { ErrorState, Loading } from "../components/States";
import { toast } from "../components/Toasts";
import { useAsync } from "../hooks/useAsync";
import { effectiveRules, errorsByRule, formFromRules, type RetentionForm, type RuleKey, rulesFromForm } from "../lib/retention";
import { Link } from "../router";

interface Props {
  job: Job;
  onSaved: (job: Job) => void;
}

export function JobRetentionCard({ job, onSaved }: Props) {
  const global = useAsync(getRetentionPolicy, []);
  const [editing, setEditing] = useState(false);
  const [resetting, setResetting] = useState(false);
  const own = jobRetention(job);
  const g = global.state.data;
  const rules = g ? effectiveRules(g, own) : [];
  const overridden = rules.filter((r) => r.overridden).length;

  const reset = async () => {
    setResetting(true);
    try {
      onSaved(await setJobRetention(job.id, null));
      toast(`${job.name} follows the global policy`);
    } catch (err) {
      toast(describeError(err), "error");
    } finally {
      setResetting(false);
    }
  };

  return (
    <section class="card" aria-labelledby="retention-title" data-section="retention">
      <div class="section-header">
        <h2 id="retention-title">Retention</h2>
        <div class="actions">
          {own && (
            <button type="button" class="btn btn--small" disabled={resetting} onClick={() => void reset()}>
              Use global policy
            </button>
          )}
          <button type="button" class="btn btn--small" disabled={!g} onClick={() => setEditing(true)}>
            Edit retention
          </button>
        </div>
      </div>
      {global.state.status === "loading" && <Loading label="Loading the retention policy" rows={2} />}
      {global.state.status === "error" && <ErrorState error={global.state.error} onRetry={global.retry} />}
      {g && (
        <>
          <p class="section-note muted" data-retention-source>
            {overridden === 0 ? (
              <>
                This job follows the <Link href="/settings">global policy</Link>.
              </>
            ) : (
              <>
                This job sets {overridden === 1 ? "1 rule" : `${overridden} rules`} of its own; the others follow the{" "}
                <Link href="/settings">global policy</Link>.
              </>
            )}{" "}
            A job&rsquo;s latest failure is always kept.
          </p>
          <RetentionRules rules={rules} marked />
        </>
      )}
      {editing && g && (
        <RetentionDialog
          job={job}
          global={g}
          onClose={() => setEditing(false)}
          onSaved={(saved) => {
            setEditing(false);
            onSaved(saved);
            toast(`Saved the retention of ${saved.name}`);
          }}
        />
      )}
    </section>
  );
}

function RetentionDialog({
  job,
  global,
  onClose,
  onSaved,
}: {
  job: Job;
  global: RetentionPolicy;
  onClose: () => void;
  onSaved: (job: Job) => void;
}) {
  const [form, setForm] = useState<RetentionForm>(() => formFromRules(jobRetention(job), global));
  const [errors, setErrors] = useState<Partial<Record<RuleKey, string>>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    const { rules, errors: local } = rulesFromForm(form);
    setErrors(local);
    setFormError(null);
    if (Object.keys(local).length) return;
    setBusy(true);
    try {
      onSaved(await setJobRetention(job.id, rules));
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
    <Dialog title={`Retention of “${job.name}”`} onClose={onClose}>
      <form onSubmit={submit} noValidate>
        <div class="dialog-body">
          <p class="muted">
            Finished runs older than these limits are deleted by the next prune; their statistics stay. Rules set to the
            global policy follow it when it changes.
          </p>
          <RetentionFields idPrefix="job-retention" form={form} errors={errors} onChange={setForm} global={global} />
          {formError && (
            <p class="form-error" role="alert">
              {formError}
            </p>
          )}
        </div>
        <footer class="dialog-footer">
          <button type="button" class="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="btn btn--primary" disabled={busy}>
            {busy ? "Saving…" : "Save retention"}
          </button>
        </footer>
      </form>
    </Dialog>
  );
}
