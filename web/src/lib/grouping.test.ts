// Run by tests/unit/test_portal_web_units.py (Node's test runner, type stripping).
import assert from "node:assert/strict";
import { test } from "node:test";
import { levelMenu, readGrouping, setLevel, type RunDimension } from "./grouping.ts";

const SEGMENT: RunDimension = { key: "segment", description: "ICP segment", retired: false };
const REGION: RunDimension = { key: "region", description: "Sales region", retired: false };
const OLD: RunDimension = { key: "deal_band", description: "Deal size band", retired: true };

test("built-in dimensions keep their enum names; a run dimension becomes CUSTOM with its key", () => {
  assert.deepEqual(readGrouping("WORKFLOW,MODEL"), { by: ["WORKFLOW", "MODEL"], groupBy: ["WORKFLOW", "MODEL"], dimensionKey: null });
  assert.deepEqual(readGrouping("segment"), { by: ["segment"], groupBy: ["CUSTOM"], dimensionKey: "segment" });
  assert.deepEqual(readGrouping("MODEL,segment"), { by: ["MODEL", "segment"], groupBy: ["MODEL", "CUSTOM"], dimensionKey: "segment" });
});

test("the URL cannot ask for what the API refuses or does not know", () => {
  assert.deepEqual(readGrouping(null).by, ["WORKFLOW"]);
  assert.deepEqual(readGrouping("").by, ["WORKFLOW"]);
  assert.deepEqual(readGrouping("Segment,BOGUS,9x,a-b").by, ["WORKFLOW"]);
  // One run dimension per request: the second is dropped, the built-in after it kept.
  const two = readGrouping("segment,region,DAY");
  assert.deepEqual(two.by, ["segment", "DAY"]);
  assert.deepEqual(two.groupBy, ["CUSTOM", "DAY"]);
  assert.equal(two.dimensionKey, "segment");
});

test("setting a level replaces it, an empty choice removes it, and nothing left is WORKFLOW", () => {
  assert.equal(setLevel(["WORKFLOW"], 0, "segment"), "segment");
  assert.equal(setLevel(["WORKFLOW"], 1, "segment"), "WORKFLOW,segment");
  assert.equal(setLevel(["segment", "MODEL"], 1, ""), "segment");
  assert.equal(setLevel(["segment"], 0, ""), "WORKFLOW");
  assert.deepEqual(readGrouping(setLevel(["MODEL"], 1, "segment")).dimensionKey, "segment");
});

test("the menu offers the built-ins, then the declared dimensions that are not retired", () => {
  const menu = levelMenu([OLD, REGION, SEGMENT], ["WORKFLOW"], 0);
  assert.equal(menu.builtIn.length, 11);
  assert.deepEqual(menu.builtIn[0], { value: "WORKFLOW", label: "workflow" });
  assert.deepEqual(
    menu.declared.map((o) => [o.value, o.label, o.disabled]),
    [["region", "region", false], ["segment", "segment", false]],
  );
  assert.equal(menu.declared[1].title, "ICP segment");
  assert.deepEqual(levelMenu([], ["WORKFLOW"], 0).declared, []);
});

test("a second run dimension is offered disabled while another level groups by one", () => {
  const second = levelMenu([REGION, SEGMENT], ["segment", "MODEL"], 1);
  assert.ok(second.declared.every((o) => o.disabled));
  const first = levelMenu([REGION, SEGMENT], ["segment", "MODEL"], 0);
  assert.ok(first.declared.every((o) => !o.disabled)); // switching segment to region is fine
});

test("the current level is always in its menu, retired or not declared", () => {
  const retired = levelMenu([OLD, SEGMENT], ["deal_band"], 0);
  assert.deepEqual(retired.declared.map((o) => o.label), ["deal_band (retired)", "segment"]);
  const unknown = levelMenu([SEGMENT], ["regoin"], 0);
  assert.deepEqual(unknown.declared.map((o) => o.label), ["segment", "regoin (not declared)"]);
  // The list could not be read: the current key is still shown, without a verdict on it.
  assert.deepEqual(levelMenu(null, ["segment"], 0).declared.map((o) => o.label), ["segment"]);
  assert.deepEqual(levelMenu(null, ["MODEL"], 0).declared, []);
});
