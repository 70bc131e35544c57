// Runs, newest first, filtered by workflow and status, paged by cursor; and one run's usage.
import { Empty, Failed, Loading, Widget } from "../components/State";
import { money } from "../lib/decimal";
import { count, dateTime, titleCase } from "../lib/format";
import { readRange, timeRange } from "../lib/range";
import { go, href, withParams, type Route } from "../lib/router";
import { useQuery } from "../lib/useQuery";

type RunRow = { correlationId: string; workflowKey: string; status: string; startedAt: string; endedAt: string | null; campaign: string | null; channel: string | null; variant: string | null; cost: string };
type RunsData = { runs: { edges: { node: RunRow }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } };

const RUNS = `query Runs($wf: String, $status: RunStatus, $range: TimeRange, $after: String) {
  runs(workflowKey: $wf, status: $status, range: $range, first: 50, after: $after) {
    edges { node { correlationId workflowKey status startedAt endedAt campaign channel variant cost } }
    pageInfo { hasNextPage endCursor } } }`;

const STATUSES = ["RUNNING", "ACCEPTED", "REJECTED", "ABANDONED", "TIMED_OUT", "TOOL_ERROR", "ESCALATED"];

export function RunsPage({ route }: { route: Route }) {
  const range = timeRange(readRange(route.params));
  const wf = route.params.get("wf") || null;
  const status = route.params.get("status") || null;
  const after = route.params.get("after") || null;
  const state = useQuery<RunsData>(RUNS, { wf, status, range, after }, `${wf}|${status}|${after}|${range.from}|${range.to}`);
  return (
    <>
      <h1>Runs{wf ? ` of ${wf}` : ""}</h1>
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Workflow key
          <input value={wf ?? ""} placeholder="all" onChange={(e) => go(withParams(route, { wf: (e.target as HTMLInputElement).value || undefined, after: undefined }))} />
        </label>
        <label>
          Status
          <select value={status ?? ""} onChange={(e) => go(withParams(route, { status: (e.target as HTMLSelectElement).value || undefined, after: undefined }))}>
            <option value="">any</option>
            {STATUSES.map((s) => <option value={s}>{titleCase(s)}</option>)}
          </select>
        </label>
      </form>
      {state.status === "loading" ? <Loading what="runs" /> : null}
      {state.status === "failed" ? <Failed message={state.message} /> : null}
      {state.status === "done" && !state.data ? <Failed message={state.errors[0]?.message ?? "No answer."} /> : null}
      {state.status === "done" && state.data ? (
        state.data.runs.edges.length === 0 ? (
          <Empty>No run matches these filters in this range.</Empty>
        ) : (
          <div class="card wide table-wrap">
            <table>
              <thead><tr><th scope="col">Run</th><th scope="col">Workflow</th><th scope="col">Status</th><th scope="col">Started</th><th scope="col">Slice</th><th scope="col" class="num">Cost</th></tr></thead>
              <tbody>
                {state.data.runs.edges.map(({ node }) => (
                  <tr>
                    <th scope="row"><a href={href(["run", node.correlationId], { range: route.params.get("range") ?? undefined })}>{node.correlationId}</a></th>
                    <td>{node.workflowKey}</td>
                    <td>{titleCase(node.status)}</td>
                    <td>{dateTime(node.startedAt)}</td>
                    <td>{[node.campaign, node.channel, node.variant].filter(Boolean).join(" · ")}</td>
                    <td class="num">{money(node.cost)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <p>
              {after ? <a href={withParams(route, { after: undefined })}>First page</a> : null}{" "}
              {state.data.runs.pageInfo.hasNextPage ? <a href={withParams(route, { after: state.data.runs.pageInfo.endCursor ?? undefined })}>Next 50 runs</a> : null}
            </p>
          </div>
        )
      ) : null}
    </>
  );
}

type RunData = { run: (RunRow & { clientId: string | null; team: string | null; subject: string | null; usage: { eventId: string; kind: string; occurredAt: string; provider: string | null; model: string | null; step: string | null; inputTokens: number; outputTokens: number; cacheReadTokens: number; cacheWriteTokens: number; reasoningTokens: number; cost: string }[] }) | null };

const RUN = `query Run($id: String!) { run(correlationId: $id) {
  correlationId workflowKey clientId status startedAt endedAt campaign channel variant team subject cost
  usage { eventId kind occurredAt provider model step inputTokens outputTokens cacheReadTokens cacheWriteTokens reasoningTokens cost } } }`;

export function RunPage({ correlationId }: { correlationId: string }) {
  const state = useQuery<RunData>(RUN, { id: correlationId }, correlationId);
  if (state.status === "loading") return <Loading what="the run" />;
  if (state.status === "failed") return <Failed message={state.message} />;
  const run = state.data?.run;
  if (!run) return <Failed message={state.errors[0]?.message ?? `No run ${correlationId}.`} />;
  return (
    <>
      <h1>Run {run.correlationId}</h1>
      <div class="grid">
        <Widget title="Run" id="run">
          <dl class="figures">
            <div class="figure"><dt>Workflow</dt><dd><a href={href(["workflow", run.workflowKey])}>{run.workflowKey}</a></dd></div>
            <div class="figure"><dt>Status</dt><dd>{titleCase(run.status)}</dd></div>
            <div class="figure"><dt>Cost</dt><dd data-testid="run-cost">{money(run.cost)}</dd></div>
            <div class="figure"><dt>Started</dt><dd>{dateTime(run.startedAt)}</dd></div>
            <div class="figure"><dt>Ended</dt><dd>{run.endedAt ? dateTime(run.endedAt) : "still running"}</dd></div>
            <div class="figure"><dt>Slice</dt><dd>{[run.campaign, run.channel, run.variant, run.team].filter(Boolean).join(" · ") || "—"}</dd></div>
          </dl>
        </Widget>
      </div>
      <Widget title={`Usage events (${count(run.usage.length)})`} id="usage" wide>
        {run.usage.length === 0 ? (
          <Empty>No usage was metered for this run.</Empty>
        ) : (
          <div class="table-wrap">
            <table>
              <thead><tr><th scope="col">When</th><th scope="col">Kind</th><th scope="col">Step</th><th scope="col">Model</th><th scope="col" class="num">Input</th><th scope="col" class="num">Cached</th><th scope="col" class="num">Output</th><th scope="col" class="num">Reasoning</th><th scope="col" class="num">Cost</th></tr></thead>
              <tbody>
                {run.usage.map((u) => (
                  <tr data-event={u.eventId}>
                    <td>{dateTime(u.occurredAt)}</td><td>{titleCase(u.kind)}</td><td>{u.step ?? "—"}</td><td>{u.model ? `${u.provider ?? ""} ${u.model}` : "—"}</td>
                    <td class="num">{count(u.inputTokens)}</td><td class="num">{count(u.cacheReadTokens)}</td><td class="num">{count(u.outputTokens)}</td><td class="num">{count(u.reasoningTokens)}</td>
                    <td class="num">{money(u.cost)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Widget>
    </>
  );
}
