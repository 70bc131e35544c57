import { useEffect, useRef, useState } from "preact/hooks";
import { query, SessionEnded, type GqlError } from "../api/client";

export type QueryState<T> =
  | { status: "loading" }
  | { status: "failed"; message: string }
  | { status: "done"; data: T | null; errors: GqlError[] };

/** Runs a query whenever `key` or `refresh` changes; a newer request supersedes an older one.
 * A new `key` shows the loading state; a new `refresh` alone (a page reloading what it shows,
 * after a change it made) keeps the answer on screen until the new one arrives. */
export function useQuery<T>(
  document: string | null,
  variables: Record<string, unknown>,
  key: string,
  refresh = 0,
): QueryState<T> {
  const [state, setState] = useState<QueryState<T>>({ status: "loading" });
  const shown = useRef<string | null>(null); // the document and key whose answer is on screen
  useEffect(() => {
    if (document === null) return;
    const asked = `${key}|${document}`;
    let live = true;
    if (shown.current !== asked) setState({ status: "loading" });
    query<T>(document, variables).then(
      (result) => {
        if (!live) return;
        shown.current = asked;
        setState({ status: "done", data: result.data, errors: result.errors });
      },
      (error: Error) => {
        if (error instanceof SessionEnded) {
          dispatchEvent(new Event("ledger:session-ended"));
        }
        if (live) setState({ status: "failed", message: error.message });
      },
    );
    return () => {
      live = false;
    };
  }, [document, key, refresh]);
  return state;
}
