import type { ComponentChildren } from "preact";
import type { GqlError } from "../api/client";
import { NOT_ENOUGH } from "../lib/format";

export function Loading({ what }: { what: string }) {
  return (
    <p class="state loading" role="status" aria-live="polite">
      Loading {what}…
    </p>
  );
}

export function Failed({ message }: { message: string }) {
  return (
    <p class="state error" role="alert">
      {message}
    </p>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="state empty">{children}</p>;
}

export function NotEnough() {
  return <p class="state empty">{NOT_ENOUGH}</p>;
}

/** A card that shows its own errors: a failed field costs one widget, not the page. */
export function Widget(props: {
  title: string;
  errors?: GqlError[];
  children: ComponentChildren;
  id?: string;
  wide?: boolean;
}) {
  const errors = props.errors ?? [];
  return (
    <section class={props.wide ? "card wide" : "card"} aria-labelledby={props.id} data-widget={props.id}>
      <h2 id={props.id}>{props.title}</h2>
      {errors.length > 0 ? (
        <p class="state error" role="alert">
          This figure could not be computed: {errors.map((e) => e.message).join(" ")}
        </p>
      ) : (
        props.children
      )}
    </section>
  );
}

export function Figure(props: { label: string; value: string; hint?: string; testid?: string }) {
  return (
    <div class="figure">
      <dt>{props.label}</dt>
      <dd data-testid={props.testid}>{props.value}</dd>
      {props.hint ? <dd class="hint">{props.hint}</dd> : null}
    </div>
  );
}
