// GraphiQL from the npm package, bundled with its styles: no CDN, works offline. It queries as
// the signed-in portal session (cookie + CSRF header), like the portal itself.
import { GraphiQL } from "graphiql";
import "graphiql/graphiql.css";
import { createElement } from "react";
import { createRoot } from "react-dom/client";

async function start(): Promise<void> {
  const root = createRoot(document.getElementById("graphiql")!);
  const session = await fetch("/portal/session", { credentials: "same-origin" });
  if (!session.ok) {
    location.href = "/portal/";
    return;
  }
  const { csrfToken } = (await session.json()) as { csrfToken: string };
  const fetcher = async (params: unknown) => {
    const response = await fetch("/graphql", {
      method: "POST",
      credentials: "same-origin",
      headers: { "content-type": "application/json", "x-csrf-token": csrfToken },
      body: JSON.stringify(params),
    });
    return response.json();
  };
  root.render(
    createElement(GraphiQL, {
      fetcher,
      defaultQuery: "{\n  viewer { tenantId role clientId }\n}\n",
    }),
  );
}

void start();
