// Every page's state lives in the URL's hash (`#/workflow/outreach?range=30d`): a link shows
// someone else the same page, and the browser's back button works.
import { useEffect, useMemo, useState } from "preact/hooks";

export type Route = { path: string[]; params: URLSearchParams };

export function parseHash(hash: string): Route {
  const [path, search = ""] = hash.replace(/^#/, "").split("?", 2);
  return {
    path: path.split("/").filter(Boolean).map(decodeURIComponent),
    params: new URLSearchParams(search),
  };
}

export function href(path: string[], params: Record<string, string | undefined> = {}): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value) search.set(key, value);
  const query = search.toString();
  return `#/${path.map(encodeURIComponent).join("/")}${query ? "?" + query : ""}`;
}

/** The same page with some parameters changed (undefined removes one). */
export function withParams(route: Route, changes: Record<string, string | undefined>): string {
  const params: Record<string, string | undefined> = Object.fromEntries(route.params);
  return href(route.path, { ...params, ...changes });
}

export function useRoute(): Route {
  const [hash, setHash] = useState(() => location.hash);
  useEffect(() => {
    const update = () => setHash(location.hash);
    addEventListener("hashchange", update);
    update(); // a change made between the first render and this listener would be missed
    return () => removeEventListener("hashchange", update);
  }, []);
  return useMemo(() => parseHash(hash), [hash]);
}

export function go(target: string): void {
  location.hash = target.replace(/^#/, "");
}
