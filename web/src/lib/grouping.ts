// The Breakdown page's grouping, kept in the URL's `by` parameter (`by=segment,MODEL`): the
// API's built-in dimensions by their enum names, the tenant's own run dimensions by their keys.
// Keys are lowercase slugs and enum names are uppercase, so the two never collide. The API groups
// by one run dimension per request (CUSTOM with dimensionKey), so a grouping holds at most one.

export const BUILT_IN = ["WORKFLOW", "CLIENT", "MODEL", "PROVIDER", "STEP", "KIND", "CAMPAIGN", "CHANNEL", "VARIANT", "TEAM", "DAY"];

/** What `runDimensions` says of a declared dimension (the fields the menu needs). */
export type RunDimension = { key: string; description: string; retired: boolean };

export type Grouping = {
  /** The levels as the URL names them: enum names and run dimension keys. */
  by: string[];
  /** `costBreakdown(groupBy:)`: a run dimension becomes CUSTOM. */
  groupBy: string[];
  /** `costBreakdown(dimensionKey:)`: the run dimension grouped by, or null. */
  dimensionKey: string | null;
};

export type MenuOption = { value: string; label: string; title?: string; disabled?: boolean };
export type Menu = { builtIn: MenuOption[]; declared: MenuOption[] };

const KEY = /^[a-z][a-z0-9_]{0,62}$/; // the API's rule for a run dimension's key

export function isRunDimension(level: string): boolean {
  return KEY.test(level);
}

/** The grouping a `by` parameter asks for: unknown names are dropped, a run dimension after the
 * first is dropped (the API takes one), and nothing left means WORKFLOW. */
export function readGrouping(param: string | null): Grouping {
  const by: string[] = [];
  for (const level of (param ?? "").split(",")) {
    if (BUILT_IN.includes(level)) by.push(level);
    else if (isRunDimension(level) && !by.some(isRunDimension)) by.push(level);
  }
  if (by.length === 0) by.push("WORKFLOW");
  return {
    by,
    groupBy: by.map((level) => (isRunDimension(level) ? "CUSTOM" : level)),
    dimensionKey: by.find(isRunDimension) ?? null,
  };
}

/** The `by` parameter after level `index` is set to `value` ("" removes the level). */
export function setLevel(by: string[], index: number, value: string): string {
  const next = [...by];
  if (value) next[index] = value;
  else next.splice(index, 1);
  return next.filter(Boolean).join(",") || "WORKFLOW";
}

/** The options of level `index`'s menu: the built-in dimensions, then the tenant's declared run
 * dimensions that are not retired (null: they could not be read). A run dimension is disabled
 * while another level groups by one; the level's current value is always offered, even when it
 * is retired or not declared, so the menu shows what the table is grouped by. */
export function levelMenu(declared: RunDimension[] | null, by: string[], index: number): Menu {
  const builtIn = BUILT_IN.map((d) => ({ value: d, label: d.toLowerCase() }));
  const current = by[index];
  const taken = by.some((level, i) => i !== index && isRunDimension(level));
  const options: MenuOption[] = (declared ?? [])
    .filter((d) => !d.retired || d.key === current)
    .map((d) => ({
      value: d.key,
      label: d.retired ? `${d.key} (retired)` : d.key,
      title: taken ? "The breakdown groups by one run dimension at a time." : d.description,
      disabled: taken,
    }));
  if (current && isRunDimension(current) && !options.some((o) => o.value === current)) {
    options.push({ value: current, label: declared ? `${current} (not declared)` : current });
  }
  return { builtIn, declared: options };
}
