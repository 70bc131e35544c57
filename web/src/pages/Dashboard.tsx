// The agency dashboard: every workflow's unit economics and autonomy in one request.
import { errorsAt, requestErrors } from "../api/client";
import { Sparkline } from "../components/Charts";
import { Empty, Failed, Loading } from "../components/State";
import { count, moneyOr, pct } from "../lib/format";
import { bucketFor, rangeParams, readRange, timeRange } from "../lib/range";
import { href, type Route } from "../lib/router";
import { useQuery } from "../lib/useQuery";

type Row = {
  key: string;
  name: string;
  division: string | null;
  autonomyLevel: number;
  costPerOutcome: {
    attempts: number;
    acceptedOutcomes: number;
    totalCost: string;
    costPerOutcome: string | null;
    successRate: number | null;
    failureCostShare: number | null;
  };
  readiness: { ready: boolean; targetLevel: number | null; blockers: string[] };
  trend: { start: string; costPerRung: string | null }[];
};

// The sparkline is the cost per accepted run ("accepted", every default ladder's first rung).
export const DASHBOARD = `query Dashboard($range: TimeRange!, $bucket: String!) {
  workflows { key name division autonomyLevel
    costPerOutcome(range: $range) { attempts acceptedOutcomes totalCost costPerOutcome successRate failureCostShare }
    readiness { ready targetLevel blockers }
    trend: ladderSeries(range: $range, bucket: $bucket, rung: "accepted") { start costPerRung } } }`;

export function Dashboard({ route }: { route: Route }) {
  const choice = readRange(route.params);
  const range = timeRange(choice);
  const state = useQuery<{ workflows: Row[] }>(
    DASHBOARD,
    { range, bucket: bucketFor(choice) },
    `${range.from}|${range.to}`,
  );
  const keep = rangeParams(choice);
  return (
    <>
      <h1>Workflows</h1>
      {state.status === "loading" ? <Loading what="the workflows" /> : null}
      {state.status === "failed" ? <Failed message={state.message} /> : null}
      {state.status === "done" && !state.data ? (
        <Failed message={requestErrors(state.errors).concat(state.errors).map((e) => e.message)[0] ?? "No answer."} />
      ) : null}
      {state.status === "done" && state.data?.workflows.length === 0 ? (
        <Empty>No workflow yet. Create one with upsertWorkflow, then ingest runs.</Empty>
      ) : null}
      {state.status === "done" && state.data && state.data.workflows.length > 0 ? (
        <div class="table-wrap card wide">
          <table>
            <caption class="sr-only">Workflows with their cost per outcome and autonomy</caption>
            <thead>
              <tr>
                <th scope="col">Workflow</th>
                <th scope="col" class="num">Cost per outcome</th>
                <th scope="col" class="num">Success rate</th>
                <th scope="col" class="num">Failure cost share</th>
                <th scope="col">Trend</th>
                <th scope="col" class="num">Runs</th>
                <th scope="col">Autonomy</th>
              </tr>
            </thead>
            <tbody>
              {state.data.workflows.map((w, i) => {
                const failed = errorsAt(state.errors, ["workflows", i]);
                return (
                  <tr data-workflow={w.key}>
                    <th scope="row">
                      <a href={href(["workflow", w.key], keep)}>{w.name}</a>
                      {w.division ? <small class="muted"> {w.division}</small> : null}
                    </th>
                    {failed.length ? (
                      <td colSpan={6} class="state error">could not be computed: {failed[0].message}</td>
                    ) : (
                      <>
                        <td class="num" data-testid={`cpo-${w.key}`}>{moneyOr(w.costPerOutcome.costPerOutcome)}</td>
                        <td class="num" data-testid={`success-${w.key}`}>{pct(w.costPerOutcome.successRate)}</td>
                        <td class="num">{pct(w.costPerOutcome.failureCostShare)}</td>
                        <td>
                          <Sparkline label={`${w.name} cost per accepted run`} points={w.trend.map((p) => ({ start: p.start, value: p.costPerRung }))} />
                        </td>
                        <td class="num">{count(w.costPerOutcome.attempts)}</td>
                        <td>
                          <a href={href(["gate", w.key], keep)} class={w.readiness.ready ? "badge final" : "badge open"}>
                            Level {w.autonomyLevel}
                            {w.readiness.targetLevel === null
                              ? " · no gate"
                              : w.readiness.ready
                                ? ` · ready for ${w.readiness.targetLevel}`
                                : ` · not ready for ${w.readiness.targetLevel}`}
                          </a>
                        </td>
                      </>
                    )}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      ) : null}
    </>
  );
}
