// Baseline (b): a bare node:http server that answers every request with one fixed JSON body (the
// gateway's response to the repeated search, byte for byte). The ceiling for a cached response.
//   node --import tsx bench/baseline-static-server.ts <body file>   with PORT
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const body = readFileSync(process.argv[2]!);
const server = createServer((req, res) => {
  // read the request to its end, as any server must before answering on a kept-alive connection
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length });
    res.end(body);
  });
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
