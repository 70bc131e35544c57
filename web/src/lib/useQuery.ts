import { useEffect, useState } from "preact/hooks";
import { query, SessionEnded, type GqlError } from "../api/client";

export type QueryState<T> =
  | { status: "loading" }
  | { status: "failed"; message: string }
  | { status: "done"; data: T | null; errors: GqlError[] };

/** Runs a query whenever `key` changes; a newer request supersedes an older one. */
export function useQuery<T>(
  document: string | null,
  variables: Record<string, unknown>,
  key: string,
): QueryState<T> {
  const [state, setState] = useState<QueryState<T>>({ status: "loading" });
  useEffect(() => {
    if (document === null) return;
    let live = true;
    setState({ status: "loading" });
    query<T>(document, variables).then(
      (result) => live && setState({ status: "done", data: result.data, errors: result.errors }),
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
  }, [document, key]);
  return state;
}
