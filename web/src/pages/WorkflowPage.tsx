// One workflow: ladder costs and their series, rising slices, ceilings, failure share, the
// run-cost distribution, caching, model and variant mix, ROI windows. Two requests: the
// figures, then what depends on the chosen rung.
import { errorsAt, type GqlError } from "../api/client";
import { Bars, LineChart } from "../components/Charts";
import { Empty, Failed, Figure, Loading, Widget } from "../components/State";
import { money } from "../lib/decimal";
import { count, day, moneyOr, pct, ratio, titleCase } from "../lib/format";
import { bucketFor, rangeParams, readRange, timeRange } from "../lib/range";
import { go, href, withParams, type Route } from "../lib/router";
import { useQuery } from "../lib/useQuery";
import { Funnel, RoiFigures, ROI_FIELDS, type Roi } from "./ClientView";

type Slice = { value: string | null; attempts: number; acceptedOutcomes: number; totalCost: string; costPerOutcome: string | null; successRate: number | null };
type Data = {
  workflow: {
    key: string;
    name: string;
    autonomyLevel: number;
    acceptanceHoldHours: number;
    ladder: { key: string; name: string; position: number }[];
    costPerOutcome: { attempts: number; acceptedOutcomes: number; pendingOutcomes: number; totalCost: string; costPerOutcome: string | null; successRate: number | null; failureCostShare: number | null };
    ladderCosts: { rung: string; position: number; count: number; totalCost: string; costPerRung: string | null; conversionFromPrevious: number | null }[];
    failureCostShare: { totalCost: string; failedCost: string; share: number | null; byStatus: { status: string; runs: number; cost: string; share: number }[] };
    runCostStats: { runs: number; p50: string | null; p90: string | null; p99: string | null; max: string | null; medianCi95Low: string | null; medianCi95High: string | null };
    caching: { cacheReadTokens: number; inputTokens: number; cacheHitShare: number | null; savings: string; costPerOutcome: string | null; costPerOutcomeWithoutCache: string | null };
    costByVariant: Slice[];
    costByModel: Slice[];
    roi: Roi;
    roiWindows: { windowStart: string; clientId: string | null; status: string; runs: number; successes: number; cost: string; lift: string; roi: number | null }[];
  } | null;
  costCeilingStatus: { rung: string; dimension: string; value: string; ceiling: string; costPerRung: string | null; throttle: boolean }[] | null;
};

const FIGURES = `query WorkflowFigures($key: String!, $range: TimeRange!) {
  workflow(key: $key) { key name autonomyLevel acceptanceHoldHours ladder { key name position }
    costPerOutcome(range: $range) { attempts acceptedOutcomes pendingOutcomes totalCost costPerOutcome successRate failureCostShare }
    ladderCosts(range: $range) { rung position count totalCost costPerRung conversionFromPrevious }
    failureCostShare(range: $range) { totalCost failedCost share byStatus { status runs cost share } }
    runCostStats(range: $range) { runs p50 p90 p99 max medianCi95Low medianCi95High }
    caching(range: $range) { cacheReadTokens inputTokens cacheHitShare savings costPerOutcome costPerOutcomeWithoutCache }
    costByVariant(range: $range) { value attempts acceptedOutcomes totalCost costPerOutcome successRate }
    costByModel(range: $range) { value attempts acceptedOutcomes totalCost costPerOutcome successRate }
    roi(range: $range) { ${ROI_FIELDS} }
    roiWindows(range: $range) { windowStart clientId status runs successes cost lift roi } }
  costCeilingStatus(workflowKey: $key) { rung dimension value ceiling costPerRung throttle } }`;

const SLICE = "{ dimension value previousCostPerRung currentCostPerRung risePct }";
const RUNG = `query WorkflowRung($key: String!, $range: TimeRange!, $bucket: String!, $rung: String!) {
  workflow(key: $key) {
    series: ladderSeries(range: $range, bucket: $bucket, rung: $rung) { start end count totalCost costPerRung }
    campaign: risingSlices(rung: $rung, range: $range, dimension: CAMPAIGN) ${SLICE}
    channel: risingSlices(rung: $rung, range: $range, dimension: CHANNEL) ${SLICE}
    variant: risingSlices(rung: $rung, range: $range, dimension: VARIANT) ${SLICE}
    team: risingSlices(rung: $rung, range: $range, dimension: TEAM) ${SLICE} } }`;

type Rising = { dimension: string; value: string; previousCostPerRung: string; currentCostPerRung: string | null; risePct: number | null };
type RungData = { workflow: { series: { start: string; count: number; totalCost: string; costPerRung: string | null }[]; campaign: Rising[]; channel: Rising[]; variant: Rising[]; team: Rising[] } | null };

function SliceTable({ slices, what }: { slices: Slice[]; what: string }) {
  if (slices.length === 0) return <Empty>No runs in range.</Empty>;
  return (
    <div class="table-wrap">
      <table>
        <thead>
          <tr><th scope="col">{what}</th><th scope="col" class="num">Cost per outcome</th><th scope="col" class="num">Success</th><th scope="col" class="num">Runs</th><th scope="col" class="num">Cost</th></tr>
        </thead>
        <tbody>
          {slices.map((s) => (
            <tr><th scope="row">{s.value ?? "(none)"}</th><td class="num">{moneyOr(s.costPerOutcome)}</td><td class="num">{pct(s.successRate)}</td><td class="num">{count(s.attempts)}</td><td class="num">{money(s.totalCost)}</td></tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function WorkflowPage({ route, keyName }: { route: Route; keyName: string }) {
  const choice = readRange(route.params);
  const range = timeRange(choice);
  const state = useQuery<Data>(FIGURES, { key: keyName, range }, `${keyName}|${range.from}|${range.to}`);
  const wf = state.status === "done" ? state.data?.workflow ?? null : null;
  const rung = wf ? (wf.ladder.find((r) => r.key === route.params.get("rung")) ?? wf.ladder[0]) : undefined;
  const rungState = useQuery<RungData>(
    rung ? RUNG : null,
    { key: keyName, range, bucket: bucketFor(choice), rung: rung?.key },
    `${keyName}|${range.from}|${range.to}|${rung?.key}`,
  );
  if (state.status === "loading") return <Loading what="the workflow" />;
  if (state.status === "failed") return <Failed message={state.message} />;
  if (!wf) return <Failed message={state.errors[0]?.message ?? `No workflow with key ${keyName}.`} />;
  const e = (field: string): GqlError[] => errorsAt(state.errors, ["workflow", field]);
  const names = new Map(wf.ladder.map((r) => [r.key, r.name]));
  const cpo = wf.costPerOutcome;
  const rungData = rungState.status === "done" ? rungState.data?.workflow ?? null : null;
  const keep = rangeParams(choice);
  const rising = rungData ? [...rungData.campaign, ...rungData.channel, ...rungData.variant, ...rungData.team] : [];
  const open = wf.roiWindows.filter((w) => w.status === "OPEN").length;
  return (
    <>
      <div class="page-head">
        <h1>{wf.name}</h1>
        <nav class="inline" aria-label="Workflow">
          <a href={href(["runs"], { ...keep, wf: wf.key })}>Runs</a>
          <a href={href(["gate", wf.key], keep)}>Autonomy gate (level {wf.autonomyLevel})</a>
          <a href={href(["breakdown"], { ...keep, wf: wf.key, by: "MODEL" })}>Breakdown</a>
        </nav>
      </div>
      <div class="grid">
        <Widget title="Cost per accepted outcome" id="cpo" errors={e("costPerOutcome")}>
          <dl class="figures">
            <Figure label="Cost per outcome" value={moneyOr(cpo.costPerOutcome)} testid="wf-cpo" />
            <Figure label="Accepted" value={count(cpo.acceptedOutcomes)} hint={cpo.pendingOutcomes ? `${count(cpo.pendingOutcomes)} pending in the ${wf.acceptanceHoldHours} h hold` : undefined} />
            <Figure label="Success rate" value={pct(cpo.successRate)} />
            <Figure label="Total cost" value={money(cpo.totalCost)} testid="wf-total" />
            <Figure label="Runs" value={count(cpo.attempts)} />
          </dl>
        </Widget>
        <Widget title="Ladder: cost per rung" id="ladder" errors={e("ladderCosts")}>
          <Funnel ladder={wf.ladderCosts} names={names} />
        </Widget>
        <Widget title={`Series: cost per ${rung?.name ?? "rung"}`} id="series" wide errors={rungState.status === "done" ? errorsAt(rungState.errors, ["workflow", "series"]) : []}>
          <label>
            Rung{" "}
            <select value={rung?.key} onChange={(ev) => go(withParams(route, { rung: (ev.target as HTMLSelectElement).value }))}>
              {wf.ladder.map((r) => <option value={r.key}>{r.name}</option>)}
            </select>
          </label>
          {rungState.status === "loading" ? <Loading what="the series" /> : null}
          {rungState.status === "failed" ? <Failed message={rungState.message} /> : null}
          {rungData ? <LineChart label={`Cost per ${rung?.name}`} points={rungData.series.map((p) => ({ start: p.start, value: p.costPerRung }))} /> : null}
        </Widget>
        <Widget title="Where it is rising" id="rising">
          {rungData ? (
            rising.length ? (
              <ul class="plain">
                {rising.map((s) => (
                  <li>
                    <strong>{titleCase(s.dimension)} {s.value}</strong>: {money(s.previousCostPerRung)} → {moneyOr(s.currentCostPerRung)}{" "}
                    {s.risePct === null ? "(no outcome now)" : `(+${s.risePct.toFixed(0)}%)`}
                  </li>
                ))}
              </ul>
            ) : (
              <Empty>No slice rose more than 20% against the previous period.</Empty>
            )
          ) : (
            <Loading what="rising slices" />
          )}
        </Widget>
        <Widget title="Cost ceilings" id="ceilings" errors={state.data?.costCeilingStatus === null ? errorsAt(state.errors, ["costCeilingStatus"]) : []}>
          {(state.data?.costCeilingStatus ?? []).length === 0 ? (
            <Empty>No ceiling is set for this workflow.</Empty>
          ) : (
            <ul class="plain">
              {state.data!.costCeilingStatus!.map((c) => (
                <li class={c.throttle ? "throttle" : "room"}>
                  <strong>{c.throttle ? "Throttle" : "Room to grow"}</strong>: {titleCase(c.dimension)} {c.value}, {names.get(c.rung) ?? c.rung} at {moneyOr(c.costPerRung)} (ceiling {money(c.ceiling)})
                </li>
              ))}
            </ul>
          )}
        </Widget>
        <Widget title="Failure cost share" id="failures" errors={e("failureCostShare")}>
          <p>
            {pct(wf.failureCostShare.share)} of {money(wf.failureCostShare.totalCost)} produced no accepted outcome ({money(wf.failureCostShare.failedCost)}).
          </p>
          <Bars label="Failed spend by status" bars={wf.failureCostShare.byStatus.map((s) => ({ label: titleCase(s.status), value: `${money(s.cost)} · ${count(s.runs)} runs`, share: s.share }))} />
        </Widget>
        <Widget title="Run cost distribution" id="runcost" errors={e("runCostStats")}>
          <dl class="figures">
            <Figure label="Median (p50)" value={moneyOr(wf.runCostStats.p50)} hint={wf.runCostStats.medianCi95Low && wf.runCostStats.medianCi95High ? `95% interval ${money(wf.runCostStats.medianCi95Low)} – ${money(wf.runCostStats.medianCi95High)}` : "interval: not enough runs yet"} />
            <Figure label="p90" value={moneyOr(wf.runCostStats.p90)} />
            <Figure label="p99" value={moneyOr(wf.runCostStats.p99)} />
            <Figure label="Max" value={moneyOr(wf.runCostStats.max)} />
          </dl>
        </Widget>
        <Widget title="Prompt caching" id="caching" errors={e("caching")}>
          <dl class="figures">
            <Figure label="Saved by the cache" value={money(wf.caching.savings)} />
            <Figure label="Cache hit share" value={pct(wf.caching.cacheHitShare)} />
            <Figure label="Cost per outcome without cache" value={moneyOr(wf.caching.costPerOutcomeWithoutCache)} />
          </dl>
        </Widget>
        <Widget title="By variant" id="variants" errors={e("costByVariant")}><SliceTable slices={wf.costByVariant} what="Variant" /></Widget>
        <Widget title="By dominant model" id="models" errors={e("costByModel")}><SliceTable slices={wf.costByModel} what="Model" /></Widget>
        <Widget title="ROI" id="roi" errors={e("roi")}><RoiFigures roi={wf.roi} testid="wf-roi" /></Widget>
        <Widget title="ROI windows" id="roi-windows" errors={e("roiWindows")}>
          {wf.roiWindows.length === 0 ? (
            <Empty>No ROI window computed yet for this range (the worker computes them).</Empty>
          ) : (
            <>
              <p>{count(open)} OPEN, {count(wf.roiWindows.length - open)} FINAL day-cohorts.</p>
              <div class="table-wrap scroll">
                <table>
                  <thead><tr><th scope="col">Day</th><th scope="col">Status</th><th scope="col" class="num">Runs</th><th scope="col" class="num">Cost</th><th scope="col" class="num">Lift</th><th scope="col" class="num">ROI</th></tr></thead>
                  <tbody>
                    {wf.roiWindows.slice(0, 40).map((w) => (
                      <tr><td>{day(w.windowStart)}</td><td><span class={w.status === "FINAL" ? "badge final" : "badge open"}>{w.status}</span></td><td class="num">{count(w.runs)}</td><td class="num">{money(w.cost)}</td><td class="num">{money(w.lift)}</td><td class="num">{ratio(w.roi)}</td></tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </>
          )}
        </Widget>
      </div>
    </>
  );
}
