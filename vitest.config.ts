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
    // On embedded PostgreSQL each file's database starts from one migrated dump made here.
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
