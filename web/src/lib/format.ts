import { money } from "./decimal";

export const NOT_ENOUGH = "not enough data yet";

/** Money, or the words for a figure that does not exist yet (never a fake $0). */
export function moneyOr(text: string | null | undefined, places?: number): string {
  return text === null || text === undefined ? NOT_ENOUGH : money(text, places);
}

export function pct(value: number | null | undefined, digits = 1): string {
  return value === null || value === undefined ? NOT_ENOUGH : `${(value * 100).toFixed(digits)}%`;
}

export function ratio(value: number | null | undefined): string {
  return value === null || value === undefined ? NOT_ENOUGH : `${value.toFixed(2)}×`;
}

export function count(value: number): string {
  return value.toLocaleString("en-US");
}

export function day(iso: string): string {
  return iso.slice(0, 10);
}

export function dateTime(iso: string): string {
  return iso.replace("T", " ").slice(0, 16) + " UTC";
}

export function titleCase(status: string): string {
  return status.charAt(0) + status.slice(1).toLowerCase().replace(/_/g, " ");
}
