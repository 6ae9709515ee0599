import { type FormEvent, type ReactNode, useState } from "react";
import type { Problem } from "../api/types";
import type { MessageKey } from "../i18n/dictionary";
import { useI18n } from "../i18n/i18n";
import { useAction } from "../lib/use-action";
import { Field, ProblemAlert } from "./ui";

/** Sends `file`, telling `onProgress` how far it has gone (0–1): `uploadFile` with its path and fields. */
export type SendFile = (file: File, onProgress: (fraction: number) => void) => Promise<unknown>;

/**
 * The chosen file, how far its upload has gone (0–1, null while none runs) and the form's action.
 * `upload` sends the file as the form's one action: once it worked, the form is cleared and `onDone` told.
 */
export function useUpload() {
  const [file, setFile] = useState<File | null>(null);
  const [progress, setProgress] = useState<number | null>(null);
  const action = useAction();
  async function upload(
    e: FormEvent,
    send: SendFile,
    success: (name: string) => string,
    onDone: () => Promise<void>,
  ) {
    e.preventDefault();
    if (!file) return;
    setProgress(0);
    const ok = await action.run(() => send(file, setProgress), success(file.name));
    if (ok) {
      setFile(null);
      (e.target as HTMLFormElement).reset();
      await onDone();
    }
    setProgress(null);
  }
  return { file, setFile, progress, setProgress, action, upload };
}

/**
 * The end of a form that uploads a file: the labelled file input, the progress bar (named by its
 * label, "Uploading: 40%"), the problem in plain words, the success message and the submit button.
 */
export function FileUpload({
  label,
  hint,
  errors,
  accept,
  onFile,
  progress,
  progressKey,
  problem,
  shownFields,
  done,
  submit,
}: {
  label: string;
  hint?: ReactNode;
  errors?: readonly string[];
  accept: string;
  onFile: (file: File | null) => void;
  /** How far the upload has gone, 0–1; null while none runs, and then no bar is drawn. */
  progress: number | null;
  /** The bar's label, given `{percent}`. */
  progressKey: MessageKey;
  problem: Problem | null;
  /** Fields whose errors the form shows next to its controls (see ProblemAlert). */
  shownFields?: readonly string[];
  /** The last success message, in a status region; left out, the form has no such region. */
  done?: string | null;
  submit: { label: string; disabled: boolean; className?: string };
}) {
  const { t } = useI18n();
  return (
    <>
      <Field label={label} hint={hint} errors={errors}>
        {(p) => (
          <input {...p} type="file" accept={accept} onChange={(e) => onFile(e.target.files?.[0] ?? null)} />
        )}
      </Field>
      {progress !== null && (
        <p className="progress">
          <label>
            {t(progressKey, { percent: Math.round(progress * 100) })}
            <progress max={100} value={Math.round(progress * 100)} />
          </label>
        </p>
      )}
      {problem && <ProblemAlert problem={problem} shownFields={shownFields} />}
      {done !== undefined && (
        <p role="status" className="done">
          {done}
        </p>
      )}
      <button type="submit" className={submit.className} disabled={submit.disabled}>
        {submit.label}
      </button>
    </>
  );
}
