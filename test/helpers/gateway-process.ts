import { spawn, type ChildProcess } from 'node:child_process';

const root = new URL('../../', import.meta.url).pathname;

/** The gateway from its source, as `npm start` runs it without the start script. */
export const GATEWAY_FROM_SOURCE = [process.execPath, '--import', 'tsx', 'gateway/main.ts'] as const;

export interface GatewayProcess {
  /** Where it serves, from its start-up log (`GraphQL: <url>/graphql`), without the path. */
  url: string;
  child: ChildProcess;
  /** Everything it wrote so far, stdout and stderr together. */
  output(): string;
  /** Its exit code, or the signal that ended it. */
  exited: Promise<number | NodeJS.Signals | null>;
  /** Sends SIGTERM and waits for the end. */
  stop(): Promise<number | NodeJS.Signals | null>;
}

/**
 * Starts the gateway as a process of its own in the repository's root, and resolves once its log
 * shows the GraphQL URL and matches `ready`; rejects with its output when it ends first or takes
 * longer than `timeoutMs` (then it is killed). Once it is ready, the caller ends it (`stop`, or a
 * kill when a test has failed).
 */
export async function startGatewayProcess(options: {
  env: NodeJS.ProcessEnv;
  command?: readonly string[];
  ready?: RegExp;
  timeoutMs?: number;
}): Promise<GatewayProcess> {
  const [executable, ...args] = options.command ?? GATEWAY_FROM_SOURCE;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const child = spawn(executable!, args, { cwd: root, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal)),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`not ready within ${timeoutMs / 1000} s:\n${output}`));
    }, timeoutMs);
    child.stdout!.on('data', () => {
      const match = /GraphQL: (http:\/\/\S+)\/graphql/.exec(output);
      if (match && (options.ready ?? /GraphQL: .*\n/).test(output)) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    void exited.then((end) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${end}:\n${output}`));
    });
  });
  return {
    url,
    child,
    output: () => output,
    exited,
    stop: () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}
