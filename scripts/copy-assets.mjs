// Copies the non-TypeScript files the compiled gateway reads at run time into dist/.
import { cpSync } from 'node:fs';

for (const dir of ['catalog-schema/reference', 'catalog-schema/graphql']) {
  cpSync(dir, `dist/${dir}`, { recursive: true });
}
console.log('copied catalog-schema/reference and catalog-schema/graphql into dist/');
