// graphql-http's server audits (GraphQL over HTTP conformance) against a live server.
// Usage: node audit.mjs URL TOKEN  ->  prints the audit results as JSON on stdout.
import { serverAudits } from 'graphql-http';

const [url, token] = process.argv.slice(2);

// Every request carries the bearer token: the API answers 401 to anonymous callers.
function fetchFn(input, init = {}) {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${token}`);
  return fetch(input, { ...init, headers });
}

const results = [];
for (const audit of serverAudits({ url, fetchFn })) {
  const result = await audit.fn();
  results.push({ id: result.id, name: result.name, status: result.status, reason: result.reason });
}
process.stdout.write(JSON.stringify(results));
