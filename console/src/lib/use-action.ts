import { useState } from "react";
import { ApiError } from "../api/client";
import type { Problem } from "../api/types";

/** One write the user starts: busy while it runs, its problem if it fails, a message when it worked. */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [done, setDone] = useState<string | null>(null);
  async function run(action: () => Promise<unknown>, success: string): Promise<boolean> {
    setBusy(true);
    setProblem(null);
    setDone(null);
    try {
      await action();
      setDone(success);
      return true;
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      setProblem(error.problem);
      return false;
    } finally {
      setBusy(false);
    }
  }
  return { busy, problem, done, run, clear: () => setProblem(null) };
}
