/** Create or edit a job. Invalid fields show the server's own message beside them. */
import type { ComponentChildren } from "preact";
import { useMemo, useState } from "preact/hooks";
import { describeError, InvalidInputError } from "../api/errors";
import type { Job, JobCreate } from "../api/jobs";
import { cronError } from "../lib/cron";
import { API_FIELD, bodyFromForm, emptyForm, fieldKey, formFromJob, type JobFormValues } from "../lib/jobForm";
import { cronInWords, intervalInWords } from "../lib/schedule";
import { Dialog } from "./Dialog";

interface Props {
  job?: Job | undefined;
  onSubmit: (body: JobCreate) => Promise<Job>;
  onClose: () => void;
  onSaved: (job: Job) => void;
}

function timeZones(): string[] {
  try {
    return Intl.supportedValuesOf("timeZone");
  } catch {
    return ["UTC"];
  }
}

interface FieldProps {
  id: string;
  label: string;
  error: string | undefined;
  hint?: ComponentChildren;
  children: (a11y: { id: string; "aria-invalid": boolean; "aria-describedby"?: string }) => ComponentChildren;
}

function Field({ id, label, error, hint, children }: FieldProps) {
  const describedBy = [hint ? `${id}-hint` : "", error ? `${id}-error` : ""].filter(Boolean).join(" ");
  return (
    <div class={error ? "field field--invalid" : "field"}>
      <label for={id}>{label}</label>
      {children({ id, "aria-invalid": Boolean(error), ...(describedBy ? { "aria-describedby": describedBy } : {}) })}
      {hint && (
        <p id={`${id}-hint`} class="field-hint">
          {hint}
        </p>
      )}
      {error && (
        <p id={`${id}-error`} class="field-error" data-field-error={id.replace(/^job-/, "")}>
          {error}
        </p>
      )}
    </div>
  );
}

export function JobForm({ job, onSubmit, onClose, onSaved }: Props) {
  const [v, setV] = useState<JobFormValues>(() => (job ? formFromJob(job) : emptyForm()));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const zones = useMemo(timeZones, []);

  const set = <K extends keyof JobFormValues>(k: K, value: JobFormValues[K]) => {
    setV((old) => ({ ...old, [k]: value }));
    // The error beside a field was about what it held before: editing it takes the error away.
    const field = API_FIELD[k];
    setErrors((old) => {
      const gone = field === "schedule" ? ["cron", "interval_seconds", "timezone"] : [field];
      if (!gone.some((f) => f in old)) return old;
      const next = { ...old };
      for (const f of gone) delete next[f];
      return next;
    });
  };
  const text = (k: keyof JobFormValues) => (e: Event) => set(k, (e.currentTarget as HTMLInputElement).value as never);

  // A cron expression is checked as it is typed, so the preview never reads an invalid one out.
  const cronProblem = v.scheduleKind === "cron" && v.cron.trim() ? cronError(v.cron) : null;
  const preview = (() => {
    if (v.scheduleKind === "cron") return v.cron.trim() && !cronProblem ? cronInWords(v.cron, v.timezone || "UTC") : "";
    const n = Number(v.intervalValue);
    const unit = { seconds: 1, minutes: 60, hours: 3600, days: 86400 }[v.intervalUnit];
    return n > 0 ? intervalInWords(Math.round(n * unit)) : "";
  })();

  const submit = async (e: Event) => {
    e.preventDefault();
    const { body, errors: local } = bodyFromForm(v);
    if (!body.name) local.name = "give the job a name";
    if (v.targetKind === "command" && !v.command.trim()) local.command = "give a command to run";
    if (v.scheduleKind === "cron") {
      const problem = cronError(v.cron);
      if (problem) local.cron = problem;
    }
    setErrors(local);
    setFormError(null);
    if (Object.keys(local).length) return;
    setBusy(true);
    try {
      const saved = await onSubmit(body);
      onSaved(saved);
    } catch (err) {
      if (err instanceof InvalidInputError) {
        const byField: Record<string, string> = {};
        const other: string[] = [];
        for (const f of err.fields) {
          const key = fieldKey(f.field);
          if (key === "schedule") byField[v.scheduleKind === "cron" ? "cron" : "interval_seconds"] = f.message;
          else if (key && FIELDS.has(key)) byField[key] = f.message;
          else other.push(f.field ? `${f.field}: ${f.message}` : f.message);
        }
        setErrors(byField);
        if (other.length || !err.fields.length) setFormError(other.join("; ") || err.message);
      } else {
        setFormError(describeError(err));
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog title={job ? `Edit “${job.name}”` : "New job"} onClose={onClose} wide>
      <form class="job-form" onSubmit={submit} noValidate>
        <div class="dialog-body">
          <Field id="job-name" label="Name" error={errors.name}>
            {(a) => <input {...a} type="text" value={v.name} onInput={text("name")} autoFocus autoComplete="off" required />}
          </Field>
          <Field id="job-description" label="Description (optional)" error={errors.description}>
            {(a) => <input {...a} type="text" value={v.description} onInput={text("description")} autoComplete="off" />}
          </Field>

          <fieldset class="fieldset">
            <legend>Schedule</legend>
            <div class="segmented" role="radiogroup" aria-label="Kind of schedule">
              {(["interval", "cron"] as const).map((k) => (
                <label key={k} class={v.scheduleKind === k ? "seg seg--on" : "seg"}>
                  <input type="radio" name="scheduleKind" value={k} checked={v.scheduleKind === k} onChange={() => set("scheduleKind", k)} />
                  {k === "interval" ? "Every…" : "Cron"}
                </label>
              ))}
            </div>
            {v.scheduleKind === "interval" ? (
              <Field id="job-interval_seconds" label="Run every" error={errors.interval_seconds}>
                {(a) => (
                  <div class="inline-inputs">
                    <input {...a} type="number" min="1" step="any" value={v.intervalValue} onInput={text("intervalValue")} class="input-narrow" />
                    <select
                      aria-label="Unit"
                      value={v.intervalUnit}
                      onChange={(e) => set("intervalUnit", e.currentTarget.value as JobFormValues["intervalUnit"])}
                    >
                      <option value="seconds">seconds</option>
                      <option value="minutes">minutes</option>
                      <option value="hours">hours</option>
                      <option value="days">days</option>
                    </select>
                  </div>
                )}
              </Field>
            ) : (
              <div class="two-cols">
                <Field id="job-cron" label="Cron expression" error={errors.cron} hint="minute hour day month weekday, e.g. */5 * * * * or @daily">
                  {(a) => (
                    <input
                      {...a}
                      aria-invalid={a["aria-invalid"] || cronProblem !== null}
                      aria-describedby={[a["aria-describedby"], cronProblem && !errors.cron ? "job-cron-problem" : ""].filter(Boolean).join(" ") || undefined}
                      type="text"
                      class="mono"
                      value={v.cron}
                      onInput={text("cron")}
                      placeholder="0 2 * * *"
                      autoComplete="off"
                      spellcheck={false}
                    />
                  )}
                </Field>
                <Field id="job-timezone" label="Time zone" error={errors.timezone}>
                  {(a) => (
                    <>
                      <input {...a} type="text" list="job-timezones" value={v.timezone} onInput={text("timezone")} autoComplete="off" spellcheck={false} />
                      <datalist id="job-timezones">
                        {zones.map((z) => (
                          <option key={z} value={z} />
                        ))}
                      </datalist>
                    </>
                  )}
                </Field>
              </div>
            )}
            <div aria-live="polite">
              {preview && (
                <p class="schedule-preview">
                  Runs <strong>{preview}</strong>
                </p>
              )}
              {cronProblem && !errors.cron && (
                <p id="job-cron-problem" class="schedule-preview schedule-preview--error" data-cron-problem>
                  {cronProblem}
                </p>
              )}
            </div>
          </fieldset>

          <fieldset class="fieldset">
            <legend>What to run</legend>
            <div class="segmented" role="radiogroup" aria-label="Kind of target">
              {(["command", "handler"] as const).map((k) => (
                <label key={k} class={v.targetKind === k ? "seg seg--on" : "seg"}>
                  <input type="radio" name="targetKind" value={k} checked={v.targetKind === k} onChange={() => set("targetKind", k)} />
                  {k === "command" ? "Shell command" : "Python handler"}
                </label>
              ))}
            </div>
            {v.targetKind === "command" ? (
              <>
                <Field id="job-command" label="Command" error={errors.command}>
                  {(a) => <textarea {...a} class="mono" rows={3} value={v.command} onInput={text("command")} spellcheck={false} placeholder="pg_dump mydb > /backups/mydb.sql" />}
                </Field>
                <div class="two-cols">
                  <Field id="job-cwd" label="Working directory (optional)" error={errors.cwd}>
                    {(a) => <input {...a} type="text" class="mono" value={v.cwd} onInput={text("cwd")} spellcheck={false} />}
                  </Field>
                  <Field id="job-env" label="Environment (NAME=value per line)" error={errors.env}>
                    {(a) => <textarea {...a} class="mono" rows={2} value={v.env} onInput={text("env")} spellcheck={false} />}
                  </Field>
                </div>
              </>
            ) : (
              <div class="two-cols">
                <Field id="job-handler" label="Handler name" error={errors.handler}>
                  {(a) => <input {...a} type="text" class="mono" value={v.handler} onInput={text("handler")} spellcheck={false} />}
                </Field>
                <Field id="job-payload" label="Payload (JSON, optional)" error={errors.payload}>
                  {(a) => <textarea {...a} class="mono" rows={3} value={v.payload} onInput={text("payload")} spellcheck={false} />}
                </Field>
              </div>
            )}
          </fieldset>

          <fieldset class="fieldset">
            <legend>Policies</legend>
            <div class="two-cols">
              <Field id="job-timeout_seconds" label="Timeout in seconds (optional)" error={errors.timeout_seconds}>
                {(a) => <input {...a} type="number" min="1" step="any" value={v.timeoutSeconds} onInput={text("timeoutSeconds")} />}
              </Field>
              <Field id="job-overlap" label="If the last run is still going" error={errors.overlap}>
                {(a) => (
                  <select {...a} value={v.overlap} onChange={(e) => set("overlap", e.currentTarget.value as JobFormValues["overlap"])}>
                    <option value="forbid">skip this run</option>
                    <option value="allow">run alongside</option>
                  </select>
                )}
              </Field>
            </div>
            <div class="two-cols">
              <Field id="job-max_attempts" label="Attempts per run" error={errors.max_attempts} hint="1 means no retry; up to 100">
                {(a) => <input {...a} type="number" min="1" max="100" step="1" value={v.maxAttempts} onInput={text("maxAttempts")} />}
              </Field>
              <Field
                id="job-retry_backoff_seconds"
                label="First retry after (seconds)"
                error={errors.retry_backoff_seconds}
                hint="each later retry waits about twice as long"
              >
                {(a) => (
                  <input
                    {...a}
                    type="number"
                    min="0"
                    max="3600"
                    step="any"
                    value={v.retryBackoffSeconds}
                    onInput={text("retryBackoffSeconds")}
                    disabled={v.maxAttempts.trim() === "1"}
                  />
                )}
              </Field>
            </div>
          </fieldset>
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
            {busy ? "Saving…" : job ? "Save changes" : "Create job"}
          </button>
        </footer>
      </form>
    </Dialog>
  );
}

const FIELDS = new Set([
  "name",
  "description",
  "interval_seconds",
  "cron",
  "timezone",
  "command",
  "cwd",
  "env",
  "handler",
  "payload",
  "timeout_seconds",
  "overlap",
  "max_attempts",
  "retry_backoff_seconds",
]);
