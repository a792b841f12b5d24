// Started twice by gateway/database/data-dir-lock.test.ts: waits until the file `go` exists, then
// takes the data directory's lock and says whether it got it.
import { existsSync } from 'node:fs';
import { lockDataDir } from '../../gateway/database/data-dir-lock.ts';

const [dir, go] = process.argv.slice(2) as [string, string];
process.stdout.write('ready\n');
while (!existsSync(go)) {
  // Spin: both contenders start the moment the file appears.
}
try {
  lockDataDir(dir);
  process.stdout.write('locked\n');
} catch {
  process.stdout.write('refused\n');
}
