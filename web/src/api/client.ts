// The portal's only way to the API. Every page asks through `query`, so the transport (today a
// POST of JSON; later GET with automatic persisted queries) changes here and nowhere else.

export type GqlError = {
  message: string;
  path?: (string | number)[];
  extensions?: { code?: string; field?: string };
};

export type GqlResult<T> = { data: T | null; errors: GqlError[] };

/** The session ended (expired, revoked or signed out): the app shows the sign-in notice. */
export class SessionEnded extends Error {}

/** The request failed as a whole (network, 4xx/5xx without a GraphQL body). */
export class RequestFailed extends Error {}

let csrfToken = "";

export function useCsrfToken(token: string): void {
  csrfToken = token;
}

async function transport(document: string, variables: Record<string, unknown>): Promise<Response> {
  return fetch("/graphql", {
    method: "POST",
    credentials: "same-origin",
    headers: {
      "content-type": "application/json",
      accept: "application/json",
      "x-csrf-token": csrfToken,
    },
    body: JSON.stringify({ query: document, variables }),
  });
}

export async function query<T>(
  document: string,
  variables: Record<string, unknown> = {},
): Promise<GqlResult<T>> {
  let response: Response;
  try {
    response = await transport(document, variables);
  } catch {
    throw new RequestFailed("The API could not be reached. Check the connection and retry.");
  }
  if (response.status === 401) throw new SessionEnded("Your session has ended.");
  let body: { data?: T | null; errors?: GqlError[] };
  try {
    body = await response.json();
  } catch {
    throw new RequestFailed(`The API answered ${response.status} without a GraphQL body.`);
  }
  if (!response.ok && !body.data) {
    const message = body.errors?.[0]?.message ?? `The API answered ${response.status}.`;
    throw new RequestFailed(message);
  }
  return { data: body.data ?? null, errors: body.errors ?? [] };
}

/** Errors at `path` or below it: one widget's share of a partial result. */
export function errorsAt(errors: GqlError[], path: (string | number)[]): GqlError[] {
  return errors.filter(
    (error) => error.path !== undefined && path.every((part, i) => error.path?.[i] === part),
  );
}

/** Errors not tied to a field (validation, whole-request refusals). */
export function requestErrors(errors: GqlError[]): GqlError[] {
  return errors.filter((error) => !error.path || error.path.length === 0);
}

/** A GraphQL string literal, for values that must be inlined (aliased per-workflow fields). */
export function literal(value: string): string {
  return JSON.stringify(value);
}
