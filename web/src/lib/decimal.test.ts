// Run by tests/unit/test_portal_web_units.py (Node's test runner, type stripping).
import assert from "node:assert/strict";
import { test } from "node:test";
import { addDecimal, compareDecimal, money, roundDecimal, sumDecimals } from "./decimal.ts";

test("money keeps cents from the exact string and rounds half away from zero", () => {
  assert.equal(money("1234.5678"), "$1,234.57");
  assert.equal(money("1234.565"), "$1,234.57"); // a float would give 1234.56 (…564999)
  assert.equal(money("0.0412345"), "$0.0412");
  assert.equal(money("0.00005"), "$0.0001");
  assert.equal(money("0"), "$0.00");
  assert.equal(money("-2.005"), "−$2.01");
  assert.equal(money("-0.00001"), "$0.0000");
  assert.equal(money("1000000"), "$1,000,000.00");
  assert.equal(money("5.2631578947", 2), "$5.26");
  assert.equal(money("1E+3"), "$1,000.00");
});

test("sums are exact where floating point is not", () => {
  assert.equal(addDecimal("0.1", "0.2"), "0.3");
  assert.equal(sumDecimals(["103.9012", "88.03", "53.2875", "-0.0001"]), "245.2186");
  assert.equal(sumDecimals(Array(10).fill("0.1")), "1.0");
  assert.equal(compareDecimal("1.10", "1.1"), 0);
  assert.equal(roundDecimal("2.675", 2), "2.68"); // Number("2.675").toFixed(2) is "2.67"
});

test("adding a value and its negation gives zero; order does not matter", () => {
  let seed = 7;
  const next = () => (seed = (seed * 48271) % 2147483647);
  const negate = (x: string) => (x.startsWith("-") ? x.slice(1) : `-${x}`);
  for (let i = 0; i < 500; i++) {
    const a = `${next() % 100000}.${String(next() % 10000).padStart(4, "0")}`;
    const b = `-${next() % 1000}.${String(next() % 1000000).padStart(6, "0")}`;
    assert.equal(compareDecimal(addDecimal(a, negate(a)), "0"), 0);
    assert.equal(addDecimal(a, b), addDecimal(b, a));
    assert.equal(compareDecimal(addDecimal(addDecimal(a, b), negate(b)), a), 0);
  }
});
