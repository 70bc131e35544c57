// Providers' invoices against the rack-rate cost they reconcile.
import { Empty, Failed, Loading } from "../components/State";
import { money } from "../lib/decimal";
import { count } from "../lib/format";
import { useQuery } from "../lib/useQuery";

type Row = { provider: string; month: string; invoiced: string; computed: string; difference: string; factor: string | null; events: number };
const RECONCILIATION = `query Reconciliation { reconciliation { provider month invoiced computed difference factor events } }`;

export function ReconciliationPage() {
  const state = useQuery<{ reconciliation: Row[] }>(RECONCILIATION, {}, "all");
  return (
    <>
      <h1>Invoices and reconciliation</h1>
      <p class="muted">Rack-rate token math against what each provider billed for the month; basis RECONCILED scales a provider-month's LLM costs by the factor.</p>
      {state.status === "loading" ? <Loading what="invoices" /> : null}
      {state.status === "failed" ? <Failed message={state.message} /> : null}
      {state.status === "done" && !state.data ? <Failed message={state.errors[0]?.message ?? "No answer."} /> : null}
      {state.status === "done" && state.data ? (
        state.data.reconciliation.length === 0 ? <Empty>No invoice recorded yet (recordInvoice).</Empty> : (
          <div class="card wide table-wrap">
            <table>
              <thead><tr><th scope="col">Provider</th><th scope="col">Month</th><th scope="col" class="num">Invoiced</th><th scope="col" class="num">Rack rate</th><th scope="col" class="num">Difference</th><th scope="col" class="num">Factor</th><th scope="col" class="num">Events</th></tr></thead>
              <tbody>
                {state.data.reconciliation.map((r) => (
                  <tr><th scope="row">{r.provider}</th><td>{r.month}</td><td class="num">{money(r.invoiced, 2)}</td><td class="num">{money(r.computed, 2)}</td><td class="num">{money(r.difference, 2)}</td><td class="num">{r.factor === null ? "—" : r.factor.slice(0, 8)}</td><td class="num">{count(r.events)}</td></tr>
                ))}
              </tbody>
            </table>
          </div>
        )
      ) : null}
    </>
  );
}
