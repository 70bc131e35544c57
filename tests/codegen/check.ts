// Compiled with the generated types under `tsc --strict`: money and times are strings, and
// nullable figures (a field that failed for one item) must be checked before use.
import type { DashboardQuery, MineQuery, GateMutation, ReadinessQuery } from "./generated/operations";
import type { CostPerOutcome, Node } from "./generated/schema";

export function cacheKey(node: Pick<Node, "id">): string {
  return node.id;
}

export function perOutcome(figures: Pick<CostPerOutcome, "costPerOutcome">): string | null {
  return figures.costPerOutcome ?? null;
}

export function totalCost(data: DashboardQuery): string[] {
  return (data.workflows ?? []).map((w) => w.costPerOutcome?.totalCost ?? "0");
}

export function clientName(data: MineQuery): string | null {
  return data.client?.name ?? null;
}

export function promoted(data: GateMutation): boolean {
  const level: number = data.promoteAutonomy.level;
  return data.promoteAutonomy.promoted && level > 0;
}

export function blockers(data: ReadinessQuery): readonly string[] {
  return data.autonomyReadiness?.blockers ?? [];
}
