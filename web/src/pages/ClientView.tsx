// The client's view (CLIENT_VIEWER): per workflow, cost per accepted outcome with the pending
// count, a trend, the ladder as a funnel with cost per rung, ROI, and a CSV of what is shown.
// Two requests however many workflows the client has: the list, then every figure at once.
import { errorsAt, literal, type GqlError } from "../api/client";
import type { Session } from "../api/session";
import { Bars, LineChart } from "../components/Charts";
import { Empty, Failed, Figure, Loading, Widget } from "../components/State";
import { moneyOr, NOT_ENOUGH, pct, ratio, count } from "../lib/format";
import { bucketFor, readRange, timeRange } from "../lib/range";
import { href, withParams, type Route } from "../lib/router";
import { useQuery } from "../lib/useQuery";
import { downloadCsv } from "../lib/csv";
import { money } from "../lib/decimal";

type Rung = { key: string; name: string; position: number };
type ClientWorkflow = { key: string; name: string; acceptanceHoldHours: number; ladder: Rung[] };
type Cpo = {
  attempts: number;
  acceptedOutcomes: number;
  pendingOutcomes: number;
  totalCost: string;
  costPerOutcome: string | null;
};
type LadderCost = {
  rung: string;
  position: number;
  count: number;
  totalCost: string;
  costPerRung: string | null;
  conversionFromPrevious: number | null;
};
type SeriesPoint = { start: string; count: number; totalCost: string; costPerRung: string | null };
export type Roi = {
  cost: string;
  successes: number;
  attributedRevenue: string;
  unattributedRevenue: string;
  baselineRevenue: string;
  lift: string;
  roi: number | null;
  complete: boolean;
};

export const ROI_FIELDS =
  "cost successes attributedRevenue unattributedRevenue baselineRevenue lift roi complete";
const CPO_FIELDS = "attempts acceptedOutcomes pendingOutcomes totalCost costPerOutcome";

const HOME = `query ClientHome($id: ID!, $range: TimeRange!) {
  client(id: $id) { name workflows { key name acceptanceHoldHours ladder { key name position } }
    roi(range: $range) { ${ROI_FIELDS} } } }`;

function figuresQuery(workflows: ClientWorkflow[], selected: ClientWorkflow): string {
  const perWorkflow = workflows
    .map((w, i) => `w${i}: costPerOutcome(workflowKey: ${literal(w.key)}, range: $range) { ${CPO_FIELDS} }`)
    .join("\n    ");
  const rung = literal(selected.ladder[0]?.key ?? "accepted");
  return `query ClientFigures($id: ID!, $range: TimeRange!, $bucket: String!, $wf: String!) {
  client(id: $id) {
    ${perWorkflow}
    ladder: ladderCosts(workflowKey: $wf, range: $range) { rung position count totalCost costPerRung conversionFromPrevious }
    series: ladderSeries(workflowKey: $wf, range: $range, bucket: $bucket, rung: ${rung}) { start count totalCost costPerRung }
    roi(range: $range, workflowKey: $wf) { ${ROI_FIELDS} } } }`;
}

type Home = { client: { name: string; workflows: ClientWorkflow[]; roi: Roi } | null };
type Figures = {
  client: ({ ladder: LadderCost[]; series: SeriesPoint[]; roi: Roi } & Record<string, unknown>) | null;
};

export function RoiFigures({ roi, testid }: { roi: Roi; testid: string }) {
  return (
    <>
      <dl class="figures">
        <Figure label="Attributed revenue" value={money(roi.attributedRevenue)} testid={`${testid}-attributed`} />
        <Figure label="Baseline (manual process)" value={money(roi.baselineRevenue)} />
        <Figure label="Lift" value={money(roi.lift)} testid={`${testid}-lift`} />
        <Figure label="ROI (lift ÷ cost)" value={ratio(roi.roi)} testid={`${testid}-roi`} />
        <Figure label="Unattributed revenue" value={money(roi.unattributedRevenue)} testid={`${testid}-unattributed`} />
        <Figure label="Fully loaded cost" value={money(roi.cost)} />
      </dl>
      <p class={roi.complete ? "badge final" : "badge open"}>
        {roi.complete
          ? "All windows FINAL: every 30-day attribution window in range has closed."
          : "Windows OPEN: revenue can still be attributed until each run's 30-day window closes."}
      </p>
    </>
  );
}

export function ClientView({ session, route }: { session: Session; route: Route }) {
  const choice = readRange(route.params);
  const range = timeRange(choice);
  const id = session.clientId!;
  const home = useQuery<Home>(HOME, { id, range }, `${id}|${range.from}|${range.to}`);
  if (home.status === "loading") return <Loading what="your figures" />;
  if (home.status === "failed") return <Failed message={home.message} />;
  const client = home.data?.client;
  if (!client) return <Failed message={home.errors.map((e) => e.message).join(" ") || "No such client."} />;
  return <ClientFiguresView route={route} id={id} name={client.name} workflows={client.workflows} total={client.roi} totalErrors={errorsAt(home.errors, ["client", "roi"])} />;
}

function ClientFiguresView(props: {
  route: Route;
  id: string;
  name: string;
  workflows: ClientWorkflow[];
  total: Roi | null;
  totalErrors: GqlError[];
}) {
  const { route, workflows } = props;
  const choice = readRange(route.params);
  const range = timeRange(choice);
  const selected = workflows.find((w) => w.key === route.params.get("wf")) ?? workflows[0];
  const document = selected ? figuresQuery(workflows, selected) : null;
  const figures = useQuery<Figures>(
    document,
    { id: props.id, range, bucket: bucketFor(choice), wf: selected?.key ?? "" },
    `${document}|${range.from}|${range.to}`,
  );
  if (!selected) {
    return (
      <>
        <h1>{props.name}</h1>
        <Empty>No workflow has run for you yet: figures appear with the first run.</Empty>
      </>
    );
  }
  const data = figures.status === "done" ? figures.data?.client ?? null : null;
  const errors = figures.status === "done" ? figures.errors : [];
  const rungNames = new Map(selected.ladder.map((r) => [r.key, r.name]));
  const exportCsv = () => {
    if (!data) return;
    const rows: string[][] = [["section", "workflow", "item", "value"]];
    workflows.forEach((w, i) => {
      const cpo = data[`w${i}`] as Cpo | undefined;
      if (!cpo) return;
      rows.push(["cost per outcome", w.key, "attempts", String(cpo.attempts)]);
      rows.push(["cost per outcome", w.key, "accepted outcomes", String(cpo.acceptedOutcomes)]);
      rows.push(["cost per outcome", w.key, "pending outcomes", String(cpo.pendingOutcomes)]);
      rows.push(["cost per outcome", w.key, "total cost", cpo.totalCost]);
      rows.push(["cost per outcome", w.key, "cost per outcome", cpo.costPerOutcome ?? ""]);
    });
    data.ladder.forEach((l) =>
      rows.push(["ladder", selected.key, `${l.rung} count`, String(l.count)], ["ladder", selected.key, `${l.rung} cost per rung`, l.costPerRung ?? ""]),
    );
    data.series.forEach((p) => rows.push(["trend", selected.key, p.start, p.costPerRung ?? ""]));
    for (const [k, v] of Object.entries(data.roi)) rows.push(["roi", selected.key, k, String(v ?? "")]);
    downloadCsv(`outcomes-${choice.fromDay}-${choice.toDay}.csv`, rows);
  };
  return (
    <>
      <div class="page-head">
        <h1>{props.name}</h1>
        <button type="button" onClick={exportCsv} disabled={!data}>
          Export CSV
        </button>
      </div>
      <section class="card wide" aria-labelledby="per-workflow">
        <h2 id="per-workflow">Cost per accepted outcome, by workflow</h2>
        {figures.status === "loading" ? <Loading what="cost per outcome" /> : null}
        {figures.status === "failed" ? <Failed message={figures.message} /> : null}
        {data ? (
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Workflow</th>
                  <th scope="col" class="num">Cost per outcome</th>
                  <th scope="col" class="num">Accepted</th>
                  <th scope="col" class="num">Pending (in hold)</th>
                  <th scope="col" class="num">Attempts</th>
                  <th scope="col" class="num">Total cost</th>
                </tr>
              </thead>
              <tbody>
                {workflows.map((w, i) => {
                  const cpo = data[`w${i}`] as Cpo | undefined;
                  const failed = errorsAt(errors, ["client", `w${i}`]);
                  return (
                    <tr data-workflow={w.key} aria-current={w.key === selected.key ? "true" : undefined}>
                      <th scope="row">
                        <a href={withParams(route, { wf: w.key })}>{w.name}</a>
                      </th>
                      {cpo && failed.length === 0 ? (
                        <>
                          <td class="num" data-testid={`cpo-${w.key}`}>{moneyOr(cpo.costPerOutcome)}</td>
                          <td class="num">{count(cpo.acceptedOutcomes)}</td>
                          <td class="num" data-testid={`pending-${w.key}`}>{count(cpo.pendingOutcomes)}</td>
                          <td class="num">{count(cpo.attempts)}</td>
                          <td class="num">{moneyOr(cpo.totalCost)}</td>
                        </>
                      ) : (
                        <td colSpan={5} class="state error">could not be computed</td>
                      )}
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        ) : null}
      </section>
      <h2 class="section-title">{selected.name}</h2>
      <div class="grid">
        <Widget title={`Trend: cost per ${rungNames.get(selected.ladder[0]?.key) ?? "outcome"}`} id="trend" errors={errorsAt(errors, ["client", "series"])} wide>
          {data ? (
            <LineChart label={`Cost per ${rungNames.get(selected.ladder[0]?.key) ?? "outcome"}`} points={data.series.map((p) => ({ start: p.start, value: p.costPerRung }))} />
          ) : (
            <Loading what="the trend" />
          )}
        </Widget>
        <Widget title="Outcome ladder" id="ladder" errors={errorsAt(errors, ["client", "ladder"])}>
          {data ? <Funnel ladder={data.ladder} names={rungNames} /> : <Loading what="the ladder" />}
        </Widget>
        <Widget title="Return on investment" id="roi" errors={errorsAt(errors, ["client", "roi"])}>
          {data ? <RoiFigures roi={data.roi} testid="roi" /> : <Loading what="ROI" />}
        </Widget>
        <Widget title="All workflows: ROI" id="roi-total" errors={props.totalErrors}>
          {props.total ? <RoiFigures roi={props.total} testid="roi-total" /> : <p>{NOT_ENOUGH}</p>}
        </Widget>
      </div>
      <p class="muted">
        Range {choice.fromDay} to {choice.toDay} (UTC days). Cost per outcome counts every cost of the runs started in range, failed runs included; only accepted outcomes divide it.{" "}
        <a href={href(["client"])}>Reset the view</a>
      </p>
    </>
  );
}

export function Funnel({ ladder, names }: { ladder: LadderCost[]; names: Map<string, string> }) {
  if (ladder.length === 0) return <Empty>No rung has been reached yet.</Empty>;
  const first = Math.max(ladder[0].count, 1);
  return (
    <Bars
      label="Subjects reaching each rung, with the cost per rung"
      bars={ladder.map((l) => ({
        label: names.get(l.rung) ?? l.rung,
        value: `${count(l.count)} · ${moneyOr(l.costPerRung)} each`,
        share: l.count / first,
        note: l.conversionFromPrevious === null ? undefined : `(${pct(l.conversionFromPrevious)} of previous)`,
      }))}
    />
  );
}
