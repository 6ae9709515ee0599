import { useCallback, useEffect, useRef, useState } from "react";
import { ApiError } from "../api/client";
import type { Problem } from "../api/types";

export type Loadable<T> =
  | { status: "loading"; data: null; problem: null }
  | { status: "error"; data: null; problem: Problem }
  | { status: "ready"; data: T; problem: null };

const LOADING = { status: "loading", data: null, problem: null } as const;

function problemOf(error: unknown): Problem {
  return error instanceof ApiError ? error.problem : { title: String(error), status: 0 };
}

/**
 * Loads with `load` whenever `key` changes (a null key loads nothing). `reload()` fetches again while
 * the old data stays on screen, so a page does not flash back to "Loading" after each action, and
 * resolves once the new data is shown.
 */
export function useLoad<T>(
  key: string | null,
  load: (signal: AbortSignal) => Promise<T>,
): Loadable<T> & { reload(): Promise<void> } {
  const [state, setState] = useState<Loadable<T>>(LOADING);
  // The latest closure, so a reload uses the current inputs without re-running the effect.
  const loadRef = useRef(load);
  loadRef.current = load;
  const controllerRef = useRef<AbortController | null>(null);

  const run = useCallback(async () => {
    controllerRef.current?.abort();
    const controller = new AbortController();
    controllerRef.current = controller;
    try {
      const data = await loadRef.current(controller.signal);
      if (!controller.signal.aborted) setState({ status: "ready", data, problem: null });
    } catch (error) {
      if (!controller.signal.aborted) setState({ status: "error", data: null, problem: problemOf(error) });
    }
  }, []);

  useEffect(() => {
    setState(LOADING);
    if (key === null) return;
    void run();
    return () => controllerRef.current?.abort();
  }, [key, run]);

  return { ...state, reload: run };
}
