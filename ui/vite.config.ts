/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The Python server serves dist/ at "/"; in development Vite proxies the API to it.
const apiTarget = process.env.PERISCOPE_API ?? "http://127.0.0.1:8080";

export default defineConfig({
  base: "/",
  plugins: [react()],
  worker: { format: "es" },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // The server's CSP is default-src 'self': no data: URIs, so never inline assets.
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 700,
  },
  server: {
    proxy: { "/api": { target: apiTarget, changeOrigin: false, ws: true } },
  },
  preview: {
    proxy: { "/api": { target: apiTarget, changeOrigin: false, ws: true } },
  },
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
  },
});
