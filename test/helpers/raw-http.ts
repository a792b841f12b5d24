import { connect } from 'node:net';

/**
 * Sends one HTTP/1.1 request with exactly this request line (which fetch would refuse to send) and
 * resolves with the raw answer, empty when the server closed the connection without one.
 */
export function rawRequest(baseUrl: string, requestLine: string): Promise<string> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname, () =>
      socket.write(`${requestLine}\r\nHost: ${hostname}\r\nConnection: close\r\n\r\n`),
    );
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk));
    socket.on('close', () => resolve(answer));
    socket.on('error', () => resolve(answer));
    socket.setTimeout(5000, () => socket.destroy());
  });
}

/** A request target Node's HTTP parser accepts and the URL parser refuses. */
export const UNPARSABLE_TARGET = 'GET http://[/graphql HTTP/1.1';
