// Copies the non-TypeScript files the compiled gateway reads at run time into dist/.
import { cpSync } from 'node:fs';

for (const dir of ['catalog-schema/reference', 'catalog-schema/graphql']) {
  cpSync(dir, `dist/${dir}`, { recursive: true });
}
// The provider endpoint contract (the provider node reads it) and the demo provider nodes' listings.
cpSync('catalog-schema/provider-endpoint.graphql', 'dist/catalog-schema/provider-endpoint.graphql');
cpSync('services/provider-node/demo', 'dist/services/provider-node/demo', {
  recursive: true,
  filter: (source) => !/\.ts$/.test(source),
});
console.log(
  'copied catalog-schema/reference, catalog-schema/graphql, the provider endpoint contract and demo listings into dist/',
);
