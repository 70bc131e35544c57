// Exact decimal strings from the API, formatted and added without floating point: money is
// shown from the string the server sent, never through parseFloat.

type Fixed = { units: bigint; scale: number };

function parse(text: string): Fixed {
  const match = /^(-?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text.trim());
  if (!match) throw new Error(`not a decimal: ${text}`);
  const [, sign, whole = "", fraction = "", exponent] = match;
  let digits = (whole || "0") + fraction;
  let scale = fraction.length - (exponent ? Number(exponent) : 0);
  if (scale < 0) {
    digits += "0".repeat(-scale);
    scale = 0;
  }
  const units = BigInt(digits);
  return { units: sign === "-" ? -units : units, scale };
}

function rescale(value: Fixed, scale: number): bigint {
  return value.units * 10n ** BigInt(scale - value.scale);
}

function render(units: bigint, scale: number): string {
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(scale + 1, "0");
  const whole = digits.slice(0, digits.length - scale);
  const fraction = scale > 0 ? "." + digits.slice(digits.length - scale) : "";
  return (negative ? "-" : "") + whole + fraction;
}

/** a + b, exactly. */
export function addDecimal(a: string, b: string): string {
  const x = parse(a);
  const y = parse(b);
  const scale = Math.max(x.scale, y.scale);
  return render(rescale(x, scale) + rescale(y, scale), scale);
}

export function sumDecimals(values: string[]): string {
  return values.reduce((total, value) => addDecimal(total, value), "0");
}

/** Rounds half away from zero to `places` decimals. */
export function roundDecimal(text: string, places: number): string {
  const value = parse(text);
  if (value.scale <= places) return render(rescale(value, places), places);
  const drop = 10n ** BigInt(value.scale - places);
  const magnitude = value.units < 0n ? -value.units : value.units;
  let rounded = magnitude / drop;
  if ((magnitude % drop) * 2n >= drop) rounded += 1n;
  return render(value.units < 0n ? -rounded : rounded, places);
}

export function compareDecimal(a: string, b: string): number {
  const x = parse(a);
  const y = parse(b);
  const scale = Math.max(x.scale, y.scale);
  const d = rescale(x, scale) - rescale(y, scale);
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}

function group(whole: string): string {
  return whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** "$1,234.57" from "1234.5678"; amounts under a dollar keep 4 decimals ("$0.0412"). */
export function money(text: string, places?: number): string {
  const magnitude = text.replace(/^-/, "");
  const small = compareDecimal(magnitude, "1") < 0 && compareDecimal(magnitude, "0") !== 0;
  const rounded = roundDecimal(text, places ?? (small ? 4 : 2));
  const negative = rounded.startsWith("-") && /[1-9]/.test(rounded);
  const [whole, fraction] = rounded.replace(/^-/, "").split(".");
  return `${negative ? "−" : ""}$${group(whole)}${fraction !== undefined ? "." + fraction : ""}`;
}

/** For chart geometry only (pixel positions), never for the numbers people read. */
export function approx(text: string): number {
  return Number(text);
}
