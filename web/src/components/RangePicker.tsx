import { useEffect, useState } from "preact/hooks";
import { go, withParams, type Route } from "../lib/router";
import { PRESETS, rangeParams, readRange } from "../lib/range";

/** Presets and a custom pair of days; the choice goes into the URL. */
export function RangePicker({ route }: { route: Route }) {
  const choice = readRange(route.params);
  const [from, setFrom] = useState(choice.fromDay);
  const [to, setTo] = useState(choice.toDay);
  // A preset picked, or the back button: the day inputs follow the URL.
  useEffect(() => {
    setFrom(choice.fromDay);
    setTo(choice.toDay);
  }, [choice.fromDay, choice.toDay]);
  const apply = (event: Event) => {
    event.preventDefault();
    if (from && to && from <= to) {
      go(withParams(route, rangeParams({ preset: null, fromDay: from, toDay: to })));
    }
  };
  return (
    <form class="range" onSubmit={apply} aria-label="Date range">
      <label>
        Range
        <select
          value={choice.preset ?? "custom"}
          onChange={(e) => {
            const value = (e.target as HTMLSelectElement).value;
            if (value !== "custom") go(withParams(route, { range: value, from: undefined, to: undefined }));
          }}
        >
          {PRESETS.map((p) => (
            <option value={p}>Last {p.replace("d", " days")}</option>
          ))}
          <option value="custom">Custom</option>
        </select>
      </label>
      <label>
        From
        <input type="date" value={from} max={to} onInput={(e) => setFrom((e.target as HTMLInputElement).value)} />
      </label>
      <label>
        To (inclusive)
        <input type="date" value={to} min={from} onInput={(e) => setTo((e.target as HTMLInputElement).value)} />
      </label>
      <button type="submit">Apply</button>
    </form>
  );
}
