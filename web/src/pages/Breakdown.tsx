// Spend along any dimensions, with the total of the same range: the buckets visibly add up.
import { Empty, Failed, Loading } from "../components/State";
import { money, sumDecimals } from "../lib/decimal";
import { count } from "../lib/format";
import { readRange, timeRange } from "../lib/range";
import { go, withParams, type Route } from "../lib/router";
import { useQuery } from "../lib/useQuery";

const DIMENSIONS = ["WORKFLOW", "CLIENT", "MODEL", "PROVIDER", "STEP", "KIND", "CAMPAIGN", "CHANNEL", "VARIANT", "TEAM", "DAY"];
type Bucket = { key: string[]; cost: string; events: number; inputTokens: number; outputTokens: number };
type Data = { buckets: Bucket[]; total: Bucket[] };

const BREAKDOWN = `query Breakdown($range: TimeRange!, $by: [CostDimension!]!, $wf: String) {
  buckets: costBreakdown(range: $range, groupBy: $by, workflowKey: $wf) { key cost events inputTokens outputTokens }
  total: costBreakdown(range: $range, groupBy: [], workflowKey: $wf) { key cost events inputTokens outputTokens } }`;

export function BreakdownPage({ route }: { route: Route }) {
  const range = timeRange(readRange(route.params));
  const by = (route.params.get("by") ?? "WORKFLOW").split(",").filter((d) => DIMENSIONS.includes(d));
  const wf = route.params.get("wf") || null;
  const state = useQuery<Data>(BREAKDOWN, { range, by, wf }, `${by}|${wf}|${range.from}|${range.to}`);
  const setBy = (index: number, value: string) => {
    const next = [...by];
    if (value) next[index] = value;
    else next.splice(index, 1);
    go(withParams(route, { by: next.filter(Boolean).join(",") || "WORKFLOW" }));
  };
  const sum = state.status === "done" && state.data ? sumDecimals(state.data.buckets.map((b) => b.cost)) : null;
  const total = state.status === "done" && state.data ? state.data.total[0]?.cost ?? "0" : null;
  return (
    <>
      <h1>Breakdown{wf ? ` of ${wf}` : ""}</h1>
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        {[0, 1].map((i) => (
          <label>
            {i === 0 ? "Group by" : "then by"}
            <select value={by[i] ?? ""} onChange={(e) => setBy(i, (e.target as HTMLSelectElement).value)}>
              {i > 0 ? <option value="">nothing</option> : null}
              {DIMENSIONS.map((d) => <option value={d}>{d.toLowerCase()}</option>)}
            </select>
          </label>
        ))}
        <label>
          Workflow key
          <input value={wf ?? ""} placeholder="all" onChange={(e) => go(withParams(route, { wf: (e.target as HTMLInputElement).value || undefined }))} />
        </label>
      </form>
      {state.status === "loading" ? <Loading what="the breakdown" /> : null}
      {state.status === "failed" ? <Failed message={state.message} /> : null}
      {state.status === "done" && !state.data ? <Failed message={state.errors[0]?.message ?? "No answer."} /> : null}
      {state.status === "done" && state.data ? (
        state.data.buckets.length === 0 ? <Empty>No usage in this range.</Empty> : (
          <div class="card wide table-wrap">
            <table>
              <thead><tr>{by.map((d) => <th scope="col">{d.toLowerCase()}</th>)}<th scope="col" class="num">Cost</th><th scope="col" class="num">Events</th><th scope="col" class="num">Input tokens</th><th scope="col" class="num">Output tokens</th></tr></thead>
              <tbody>
                {state.data.buckets.map((b) => (
                  <tr>{b.key.map((k) => <td>{k}</td>)}<td class="num">{money(b.cost, 2)}</td><td class="num">{count(b.events)}</td><td class="num">{count(b.inputTokens)}</td><td class="num">{count(b.outputTokens)}</td></tr>
                ))}
              </tbody>
              <tfoot>
                <tr><th scope="row" colSpan={by.length}>Sum of the rows (exact)</th><td class="num" data-testid="bucket-sum">{money(sum!, 2)}</td><td colSpan={3}></td></tr>
                <tr><th scope="row" colSpan={by.length}>Total of the range</th><td class="num" data-testid="range-total">{money(total!, 2)}</td><td colSpan={3}>{sum === total || (sum && total && money(sum, 10) === money(total, 10)) ? "adds up" : "does not add up"}</td></tr>
              </tfoot>
            </table>
          </div>
        )
      ) : null}
    </>
  );
}
