import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // graphql 16 ships CommonJS and ESM copies; Node (and Apollo Server) load the CommonJS one, so the
    // tests must too, or GraphQLError and schema classes exist twice and instanceof checks fail.
    alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }],
  },
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**', '.data/**'],
    // Each test file opens its own database (a fresh PostgreSQL database or an in-memory PGlite).
    pool: 'forks',
    // The test files share their worker's modules instead of importing everything anew for each file:
    // importing took 73 to 76 s of each suite's run (92 files through tsx, Apollo Server, PGlite's
    // WebAssembly). Measured on 2026-11-28 (2 cores, one worker as vitest chooses there): PostgreSQL
    // 417 -> 288 s, embedded PostgreSQL 523 -> 332 s. Every file still opens its own database and
    // server and closes them; a file that changes process state (TZ) restores it.
    isolate: false,
    // On embedded PostgreSQL each file's database starts from one migrated dump made here.
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
