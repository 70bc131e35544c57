// The range every figure is asked for: whole UTC days, [from, to) with `to` the day after the
// last day shown. Presets ("7d", "30d", "90d") end today; a custom range names its days.

export type TimeRange = { from: string; to: string };
export type RangeChoice = { preset: string | null; fromDay: string; toDay: string };

export const PRESETS = ["7d", "30d", "90d"] as const;
const DAY_MS = 86_400_000;

function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function startOfTodayUtc(now: number): number {
  return Math.floor(now / DAY_MS) * DAY_MS;
}

/** From the URL's `range`, or `from` and `to` (inclusive days), defaulting to 30 days. */
export function readRange(params: URLSearchParams, now = Date.now()): RangeChoice {
  const fromDay = params.get("from");
  const toDay = params.get("to");
  const valid = (d: string | null) => d !== null && /^\d{4}-\d{2}-\d{2}$/.test(d);
  if (valid(fromDay) && valid(toDay) && fromDay! <= toDay!) {
    return { preset: null, fromDay: fromDay!, toDay: toDay! };
  }
  const preset = PRESETS.find((p) => p === params.get("range")) ?? "30d";
  const days = Number(preset.replace("d", ""));
  const today = startOfTodayUtc(now);
  return { preset, fromDay: isoDay(today - (days - 1) * DAY_MS), toDay: isoDay(today) };
}

export function timeRange(choice: RangeChoice): TimeRange {
  const to = Date.parse(choice.toDay + "T00:00:00Z") + DAY_MS;
  return { from: choice.fromDay + "T00:00:00Z", to: new Date(to).toISOString().replace(".000Z", "Z") };
}

/** Daily buckets up to ~2 months, weekly beyond. */
export function bucketFor(choice: RangeChoice): string {
  const days = (Date.parse(choice.toDay) - Date.parse(choice.fromDay)) / DAY_MS + 1;
  return days <= 62 ? "P1D" : "P7D";
}

export function rangeParams(choice: RangeChoice): Record<string, string | undefined> {
  return choice.preset
    ? { range: choice.preset, from: undefined, to: undefined }
    : { range: undefined, from: choice.fromDay, to: choice.toDay };
}
