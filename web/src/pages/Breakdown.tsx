// Spend along any dimensions, with the total of the same range: the buckets visibly add up.
// The menus offer the API's built-in dimensions and the tenant's own run dimensions, read in the
// same request as the figures (one request per view).
import { useRef } from "preact/hooks";
import { errorsAt } from "../api/client";
import { Empty, Failed, Loading } from "../components/State";
import { money, sumDecimals } from "../lib/decimal";
import { count } from "../lib/format";
import { levelMenu, readGrouping, setLevel, type RunDimension } from "../lib/grouping";
import { readRange, timeRange } from "../lib/range";
import { go, withParams, type Route } from "../lib/router";
import { useQuery } from "../lib/useQuery";

type Bucket = { key: string[]; cost: string; events: number; inputTokens: number; outputTokens: number };
type Data = { dimensions: RunDimension[] | null; buckets: Bucket[] | null; total: Bucket[] | null };

const BREAKDOWN = `query Breakdown($range: TimeRange!, $by: [CostDimension!]!, $key: String, $wf: String) {
  dimensions: runDimensions { key description retired }
  buckets: costBreakdown(range: $range, groupBy: $by, dimensionKey: $key, workflowKey: $wf) { key cost events inputTokens outputTokens }
  total: costBreakdown(range: $range, groupBy: [], workflowKey: $wf) { key cost events inputTokens outputTokens } }`;

export function BreakdownPage({ route }: { route: Route }) {
  const range = timeRange(readRange(route.params));
  const { by, groupBy, dimensionKey } = readGrouping(route.params.get("by"));
  const wf = route.params.get("wf") || null;
  const state = useQuery<Data>(BREAKDOWN, { range, by: groupBy, key: dimensionKey, wf }, `${by}|${wf}|${range.from}|${range.to}`);
  const data = state.status === "done" ? state.data : null;
  const failed = (path: string) => (state.status === "done" ? errorsAt(state.errors, [path]) : []);
  const buckets = data?.buckets ?? null;
  const sum = buckets ? sumDecimals(buckets.map((b) => b.cost)) : null;
  const total = data?.total ? data.total[0]?.cost ?? "0" : null;
  // The last list read stays in the menus while the next grouping loads.
  const declared = useRef<RunDimension[] | null>(null);
  if (data?.dimensions) declared.current = data.dimensions;
  return (
    <>
      <h1>Breakdown{wf ? ` of ${wf}` : ""}</h1>
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        {[0, 1].map((i) => {
          const menu = levelMenu(declared.current, by, i);
          return (
            <label>
              {i === 0 ? "Group by" : "then by"}
              <select value={by[i] ?? ""} onChange={(e) => go(withParams(route, { by: setLevel(by, i, (e.target as HTMLSelectElement).value) }))}>
                {i > 0 ? <option value="">nothing</option> : null}
                <optgroup label="Built in">
                  {menu.builtIn.map((o) => <option value={o.value}>{o.label}</option>)}
                </optgroup>
                {menu.declared.length > 0 ? (
                  <optgroup label="Run dimensions">
                    {menu.declared.map((o) => <option value={o.value} title={o.title} disabled={o.disabled}>{o.label}</option>)}
                  </optgroup>
                ) : null}
              </select>
            </label>
          );
        })}
        <label>
          Workflow key
          <input value={wf ?? ""} placeholder="all" onChange={(e) => go(withParams(route, { wf: (e.target as HTMLInputElement).value || undefined }))} />
        </label>
      </form>
      {state.status === "loading" ? <Loading what="the breakdown" /> : null}
      {state.status === "failed" ? <Failed message={state.message} /> : null}
      {state.status === "done" && !data ? <Failed message={state.errors[0]?.message ?? "No answer."} /> : null}
      {data && !buckets ? <Failed message={failed("buckets")[0]?.message ?? "The breakdown could not be computed."} /> : null}
      {buckets && sum !== null ? (
        buckets.length === 0 ? <Empty>No usage in this range.</Empty> : (
          <div class="card wide table-wrap">
            <table>
              <thead><tr>{by.map((d) => <th scope="col">{d.toLowerCase()}</th>)}<th scope="col" class="num">Cost</th><th scope="col" class="num">Events</th><th scope="col" class="num">Input tokens</th><th scope="col" class="num">Output tokens</th></tr></thead>
              <tbody>
                {buckets.map((b) => (
                  <tr data-bucket={b.key.join("|")}>{b.key.map((k) => <td>{k}</td>)}<td class="num">{money(b.cost, 2)}</td><td class="num">{count(b.events)}</td><td class="num">{count(b.inputTokens)}</td><td class="num">{count(b.outputTokens)}</td></tr>
                ))}
              </tbody>
              <tfoot>
                <tr><th scope="row" colSpan={by.length}>Sum of the rows (exact)</th><td class="num" data-testid="bucket-sum">{money(sum, 2)}</td><td colSpan={3}></td></tr>
                <tr><th scope="row" colSpan={by.length}>Total of the range</th><td class="num" data-testid="range-total">{total === null ? "—" : money(total, 2)}</td><td colSpan={3}>{total === null ? failed("total")[0]?.message : sum === total || money(sum, 10) === money(total, 10) ? "adds up" : "does not add up"}</td></tr>
              </tfoot>
            </table>
          </div>
        )
      ) : null}
    </>
  );
}
