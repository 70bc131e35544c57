// A workflow's autonomy gate: quality, cost and drift with their numbers, the blockers in
// words, the history; promote or demote for OWNER and ENGINEER, showing a refusal's reasons.
import { useState } from "preact/hooks";
import { query } from "../api/client";
import { canChangeAutonomy, type Session } from "../api/session";
import { Empty, Failed, Loading, Widget } from "../components/State";
import { money } from "../lib/decimal";
import { count, dateTime, titleCase } from "../lib/format";
import { useQuery } from "../lib/useQuery";

type Check = { status: string; observed: number | null; bound: number | null; threshold: number | null; sampleSize: number; detail: string };
type Readiness = { currentLevel: number; targetLevel: number | null; ready: boolean; quality: Check; cost: Check; drift: Check; blockers: string[]; evaluatedAt: string };
type GateData = {
  workflow: {
    key: string;
    name: string;
    autonomyLevel: number;
    gate: { targetLevel: number; minAcceptanceRate: number; minSampleSize: number; confidence: number; maxCostPerOutcome: string; maxDriftPct: number; windowDays: number; version: number; setBy: string; setAt: string } | null;
    readiness: Readiness;
    gateEvaluations: { evaluatedAt: string; targetLevel: number; status: string; blockers: string[] }[];
    autonomyHistory: { at: string; kind: string; actor: string; fromLevel: number; requestedLevel: number; level: number; reason: string | null }[];
  } | null;
};

const CHECK = "{ status observed bound threshold sampleSize detail }";
const READINESS = `{ currentLevel targetLevel ready quality ${CHECK} cost ${CHECK} drift ${CHECK} blockers evaluatedAt }`;
const GATE = `query Gate($key: String!) { workflow(key: $key) { key name autonomyLevel
  gate { targetLevel minAcceptanceRate minSampleSize confidence maxCostPerOutcome maxDriftPct windowDays version setBy setAt }
  readiness ${READINESS}
  gateEvaluations(first: 10) { evaluatedAt targetLevel status blockers }
  autonomyHistory(first: 10) { at kind actor fromLevel requestedLevel level reason } } }`;
const PROMOTE = `mutation Promote($key: String!, $to: Int!) { promoteAutonomy(workflowKey: $key, toLevel: $to) { promoted level readiness ${READINESS} } }`;
const DEMOTE = `mutation Demote($key: String!, $to: Int!, $reason: String) { demoteAutonomy(workflowKey: $key, toLevel: $to, reason: $reason) { promoted level } }`;

const num = (v: number | null, digits = 3) => (v === null ? "—" : v.toFixed(digits));

function CheckRow({ name, check }: { name: string; check: Check }) {
  return (
    <tr data-check={name}>
      <th scope="row">{name}</th>
      <td><span class={`badge ${check.status === "PASS" ? "final" : check.status === "FAIL" ? "fail" : "open"}`}>{titleCase(check.status)}</span></td>
      <td class="num">{num(check.observed)}</td>
      <td class="num">{num(check.bound)}</td>
      <td class="num">{num(check.threshold)}</td>
      <td class="num">{count(check.sampleSize)}</td>
      <td>{check.detail}</td>
    </tr>
  );
}

export function GatePage({ keyName, session }: { keyName: string; session: Session }) {
  const [version, setVersion] = useState(0);
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string; blockers: string[] } | null>(null);
  const state = useQuery<GateData>(GATE, { key: keyName }, keyName, version); // the outcome stays on screen while it reloads
  if (state.status === "loading") return <Loading what="the gate" />;
  if (state.status === "failed") return <Failed message={state.message} />;
  const wf = state.data?.workflow;
  if (!wf) return <Failed message={state.errors[0]?.message ?? `No workflow with key ${keyName}.`} />;
  const r = wf.readiness;
  const promote = async () => {
    const result = await query<{ promoteAutonomy: { promoted: boolean; level: number; readiness: Readiness } }>(PROMOTE, { key: wf.key, to: wf.autonomyLevel + 1 });
    const answer = result.data?.promoteAutonomy;
    if (!answer) setOutcome({ ok: false, text: result.errors.map((e) => e.message).join(" "), blockers: [] });
    else if (answer.promoted) setOutcome({ ok: true, text: `Promoted to level ${answer.level}.`, blockers: [] });
    else setOutcome({ ok: false, text: `Promotion to level ${wf.autonomyLevel + 1} refused: the gate is not green.`, blockers: answer.readiness.blockers });
    setVersion(version + 1);
  };
  const demote = async () => {
    const result = await query<{ demoteAutonomy: { level: number } }>(DEMOTE, { key: wf.key, to: wf.autonomyLevel - 1, reason: "demoted from the portal" });
    const answer = result.data?.demoteAutonomy;
    setOutcome(answer ? { ok: true, text: `Demoted to level ${answer.level}.`, blockers: [] } : { ok: false, text: result.errors.map((e) => e.message).join(" "), blockers: [] });
    setVersion(version + 1);
  };
  return (
    <>
      <h1>{wf.name}: autonomy gate</h1>
      <p class={r.ready ? "badge final" : "badge open"} data-testid="gate-ready">
        Level {wf.autonomyLevel}.{" "}
        {r.targetLevel === null ? "No gate is set for the next level." : r.ready ? `Ready for level ${r.targetLevel}.` : `Not ready for level ${r.targetLevel}.`}
      </p>
      <div class="grid">
        <Widget title="Checks" id="checks" wide>
          <div class="table-wrap">
            <table>
              <thead><tr><th scope="col">Check</th><th scope="col">Status</th><th scope="col" class="num">Observed</th><th scope="col" class="num">Bound</th><th scope="col" class="num">Threshold</th><th scope="col" class="num">Sample</th><th scope="col">Why</th></tr></thead>
              <tbody>
                <CheckRow name="Quality" check={r.quality} />
                <CheckRow name="Cost" check={r.cost} />
                <CheckRow name="Drift" check={r.drift} />
              </tbody>
            </table>
          </div>
          <p class="muted">Evaluated {dateTime(r.evaluatedAt)}.</p>
        </Widget>
        <Widget title="Blockers" id="blockers">
          {r.blockers.length ? <ul data-testid="blockers">{r.blockers.map((b) => <li>{b}</li>)}</ul> : <Empty>Nothing blocks the next level.</Empty>}
        </Widget>
        <Widget title="Gate" id="gate">
          {wf.gate ? (
            <ul class="plain">
              <li>Target level {wf.gate.targetLevel} (version {wf.gate.version}, set by {wf.gate.setBy})</li>
              <li>Acceptance ≥ {(wf.gate.minAcceptanceRate * 100).toFixed(0)}% at {(wf.gate.confidence * 100).toFixed(0)}% confidence, at least {count(wf.gate.minSampleSize)} runs</li>
              <li>Cost per outcome ≤ {money(wf.gate.maxCostPerOutcome)}, drift ≤ {wf.gate.maxDriftPct}%</li>
              <li>Window {wf.gate.windowDays} days</li>
            </ul>
          ) : <Empty>No gate is set for the next level.</Empty>}
        </Widget>
        {canChangeAutonomy(session) ? (
          <Widget title="Change the level" id="change">
            <div class="actions">
              <button type="button" onClick={promote} disabled={r.targetLevel === null}>Promote to level {wf.autonomyLevel + 1}</button>
              <button type="button" class="secondary" onClick={demote} disabled={wf.autonomyLevel === 0}>Demote to level {Math.max(0, wf.autonomyLevel - 1)}</button>
            </div>
            {outcome ? (
              <div role="status" class={outcome.ok ? "state ok" : "state error"}>
                <p>{outcome.text}</p>
                {outcome.blockers.length ? <ul data-testid="refusal">{outcome.blockers.map((b) => <li>{b}</li>)}</ul> : null}
              </div>
            ) : null}
          </Widget>
        ) : null}
        <Widget title="Evaluations" id="evaluations">
          {wf.gateEvaluations.length === 0 ? <Empty>No stored evaluation yet (the worker evaluates hourly).</Empty> : (
            <ul class="plain">{wf.gateEvaluations.map((e) => <li>{dateTime(e.evaluatedAt)}: {titleCase(e.status)} for level {e.targetLevel}{e.blockers.length ? ` (${e.blockers.length} blockers)` : ""}</li>)}</ul>
          )}
        </Widget>
        <Widget title="Promotions and demotions" id="history">
          {wf.autonomyHistory.length === 0 ? <Empty>The level has never changed.</Empty> : (
            <ul class="plain">{wf.autonomyHistory.map((h) => <li>{dateTime(h.at)}: {titleCase(h.kind)} {h.fromLevel} → {h.kind === "REFUSED" ? h.requestedLevel : h.level} by {h.actor}{h.reason ? ` (${h.reason})` : ""}</li>)}</ul>
          )}
        </Widget>
      </div>
    </>
  );
}
