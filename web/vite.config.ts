// The portal (index.html, Preact) and the GraphiQL page (graphiql.html, React) are built into
// dist/ and served by the API under /portal/. Nothing is loaded from a CDN at run time.
import { resolve } from "node:path";
import { defineConfig } from "vite";

export default defineConfig({
  base: "/portal/",
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  build: {
    outDir: "dist",
    assetsDir: "assets",
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 1024, // the GraphiQL page; the portal has its own budget (docs/portal.md)
    rollupOptions: {
      // GraphiQL's dependencies carry React Server Components' "use client" markers: moot here.
      onwarn(warning, warn) {
        if (warning.code !== "MODULE_LEVEL_DIRECTIVE") warn(warning);
      },
      input: {
        portal: resolve(import.meta.dirname, "index.html"),
        graphiql: resolve(import.meta.dirname, "graphiql.html"),
      },
    },
  },
});
