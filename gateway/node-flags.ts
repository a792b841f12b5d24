// Prints the Node.js start flags that the gateway's configuration asks for in this environment, on
// one line (empty when none): scripts/start-gateway.sh starts the gateway with them. A configuration
// error ends it with the gateway's own message and exit code 1, before the gateway starts.
import { configFromEnv } from './config.ts';
import { startFlags } from './heap-tuning.ts';

try {
  console.log(startFlags(configFromEnv()).join(' '));
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
