// urql (default settings: small queries as GET) and Apollo Client with its persisted-queries link
// run the README's queries against a live server.
// Usage: node clients.mjs INPUT.json  ->  prints {urql, apollo, requests} as JSON on stdout.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Client, fetchExchange } from '@urql/core';
import { ApolloClient, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';

const input = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const requests = [];

// Records each request's client, method, whether it carried the query text, and the status.
function recordingFetch(client) {
  return async (url, init = {}) => {
    const method = init.method ?? 'GET';
    const target = new URL(url);
    const text = method === 'GET' ? target.searchParams.get('query') : JSON.parse(init.body).query;
    const response = await fetch(url, init);
    const clone = response.clone();
    let codes = [];
    try {
      codes = ((await clone.json()).errors ?? []).map((e) => e.extensions?.code);
    } catch {}
    requests.push({ client, method, withText: Boolean(text), status: response.status, codes });
    return response;
  };
}

function urqlClient(token) {
  return new Client({
    url: input.url,
    exchanges: [fetchExchange],
    fetch: recordingFetch('urql'),
    fetchOptions: { headers: { authorization: `Bearer ${token}` } },
  });
}

function apolloClient(token) {
  const sha256 = (text) => createHash('sha256').update(text).digest('hex');
  const http = new HttpLink({
    uri: input.url,
    fetch: recordingFetch('apollo'),
    headers: { authorization: `Bearer ${token}`, 'apollographql-client-name': 'proof' },
  });
  return new ApolloClient({
    link: new PersistedQueryLink({ sha256, useGETForHashedQueries: true }).concat(http),
    cache: new InMemoryCache(),
  });
}

async function viaUrql(client, query, variables) {
  const result = await client.query(query, variables, { requestPolicy: 'network-only' }).toPromise();
  if (result.error) throw new Error(`urql: ${result.error.message}`);
  return result.data;
}

async function viaApollo(client, query, variables, mutation = false) {
  const document = gql(query);
  const result = mutation
    ? await client.mutate({ mutation: document, variables })
    : await client.query({ query: document, variables, fetchPolicy: 'network-only' });
  if (result.error) throw new Error(`apollo: ${result.error.message}`);
  return result.data;
}

const owner = urqlClient(input.ownerToken);
const viewer = urqlClient(input.viewerToken);
const urql = {
  dashboard: await viaUrql(owner, input.dashboard.query, input.dashboard.variables),
  mine: await viaUrql(viewer, input.mine.query, input.mine.variables),
  engineering: await viaUrql(owner, input.engineering.query, input.engineering.variables),
};

const apolloOwner = apolloClient(input.ownerToken);
const apolloViewer = apolloClient(input.viewerToken);
const apollo = {
  // first: hash only, not found, resent with the text; second: the hash alone, as a GET
  dashboard: await viaApollo(apolloOwner, input.dashboard.query, input.dashboard.variables),
  dashboardAgain: await viaApollo(apolloOwner, input.dashboard.query, input.dashboard.variables),
  mine: await viaApollo(apolloViewer, input.mine.query, input.mine.variables),
  engineering: await viaApollo(apolloOwner, input.engineering.query, input.engineering.variables),
  gate: await viaApollo(apolloOwner, input.gate.query, {}, true),
};
process.stdout.write(JSON.stringify({ urql, apollo, requests }));
