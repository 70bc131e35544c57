import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { loadSession, signOut, type Session } from "./api/session";
import { RangePicker } from "./components/RangePicker";
import { Failed, Loading } from "./components/State";
import { rangeParams, readRange } from "./lib/range";
import { href, useRoute, type Route } from "./lib/router";
import { BreakdownPage } from "./pages/Breakdown";
import { ClientView } from "./pages/ClientView";
import { Dashboard } from "./pages/Dashboard";
import { GatePage } from "./pages/GatePage";
import { ReconciliationPage } from "./pages/Reconciliation";
import { RunPage, RunsPage } from "./pages/Runs";
import { WorkflowPage } from "./pages/WorkflowPage";
import "./styles.css";

function SignedOut({ ended }: { ended: boolean }) {
  return (
    <main class="signed-out">
      <h1>Outcome Portal</h1>
      <p>{ended ? "Your session has ended." : "You are not signed in."} Open the sign-in link the agency sent you, or ask for a new one.</p>
      <p class="muted">Agencies create links with <code>ledger portal link --tenant TENANT --role ROLE [--client CLIENT]</code>.</p>
    </main>
  );
}

function Page({ session, route }: { session: Session; route: Route }) {
  const [first, second] = route.path;
  if (session.role === "CLIENT_VIEWER") {
    // A client viewer has one page; any other address shows it too (the API refuses the rest).
    return <ClientView session={session} route={route} />;
  }
  switch (first) {
    case undefined:
      return <Dashboard route={route} />;
    case "workflow":
      return <WorkflowPage route={route} keyName={second} />;
    case "gate":
      return <GatePage keyName={second} session={session} />;
    case "runs":
      return <RunsPage route={route} />;
    case "run":
      return <RunPage correlationId={second} />;
    case "breakdown":
      return <BreakdownPage route={route} />;
    case "reconciliation":
      return <ReconciliationPage />;
    case "client":
      return <Failed message="The client view is for client viewers; agency staff see every client through the dashboard." />;
    default:
      return <Failed message={`There is no page at #/${route.path.join("/")}.`} />;
  }
}

function App() {
  const route = useRoute();
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [ended, setEnded] = useState(false);
  useEffect(() => {
    loadSession().then(setSession, () => setSession(null));
    const onEnded = () => {
      setEnded(true);
      setSession(null);
    };
    addEventListener("ledger:session-ended", onEnded);
    return () => removeEventListener("ledger:session-ended", onEnded);
  }, []);
  if (session === undefined) return <Loading what="your session" />;
  if (session === null) return <SignedOut ended={ended} />;
  const keep = rangeParams(readRange(route.params));
  const agency = session.role !== "CLIENT_VIEWER";
  const current = route.path[0] ?? "";
  const link = (path: string[], label: string) => (
    <a href={href(path, keep)} aria-current={current === (path[0] ?? "") ? "page" : undefined}>{label}</a>
  );
  return (
    <>
      <header class="top">
        <a class="brand" href={agency ? href([], keep) : href(["client"], keep)}>Outcome Portal</a>
        <nav aria-label="Main">
          {agency ? (
            <>
              {link([], "Workflows")}
              {link(["runs"], "Runs")}
              {link(["breakdown"], "Breakdown")}
              {link(["reconciliation"], "Invoices")}
              <a href="/portal/graphiql">GraphiQL</a>
            </>
          ) : (
            link(["client"], "Your figures")
          )}
        </nav>
        <span class="who" data-testid="role">{session.role.replace("_", " ").toLowerCase()}</span>
        <button type="button" class="secondary" onClick={() => signOut(session).then(() => { setEnded(true); setSession(null); })}>
          Sign out
        </button>
      </header>
      <main>
        <RangePicker route={route} />
        <Page session={session} route={route} />
      </main>
    </>
  );
}

const root = document.getElementById("app")!;
root.textContent = "";
render(<App />, root);
