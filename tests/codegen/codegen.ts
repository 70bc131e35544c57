// graphql-codegen: TypeScript types for the committed schema snapshot and the operations here.
// Copy this into a frontend (point `schema` at /graphql or at graphql_schema/schema.graphql).
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  schema: "../../graphql_schema/schema.graphql",
  documents: "operations/*.graphql",
  // Decimal is an exact decimal in a JSON string, DateTime and Date RFC 3339 strings: never a number,
  // never unknown. strictScalars fails the build on a custom scalar without a type.
  config: {
    strictScalars: true,
    scalars: { Decimal: "string", DateTime: "string", Date: "string" },
    enumsAsTypes: true,
  },
  generates: {
    // Every type of the schema (for hand-written code that names schema types).
    "generated/schema.ts": { plugins: ["typescript"] },
    // The operations' result and variable types. Since typescript-operations 6 this file is
    // self-contained (it emits the enums and inputs it uses), so it is generated apart from the
    // schema types: the two in one file would declare those twice.
    "generated/operations.ts": { plugins: ["typescript-operations"] },
  },
};

export default config;
