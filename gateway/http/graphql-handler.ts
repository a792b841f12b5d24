import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer, type HTTPGraphQLRequest } from '@apollo/server';
import { countStatements } from '../database/statement-counter.ts';
import type { GatewayContext } from '../graphql/context.ts';
import { BodyTooLargeError, readBody } from './read-body.ts';
import { sendGraphQLError } from './respond.ts';

export interface GraphQLHandlerOptions {
  apollo: ApolloServer<GatewayContext>;
  /** Builds the request's context; throws a UserError (UNAUTHENTICATED) for a bad token. */
  context: (req: IncomingMessage) => Promise<GatewayContext>;
  /** Largest accepted request body in bytes. */
  maxBodyBytes: number;
}

/** Serves GraphQL over HTTP (GET and POST) by handing the request to Apollo Server. */
export function graphqlHandler(options: GraphQLHandlerOptions) {
  return async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    let body: unknown = undefined;
    if (req.method === 'POST') {
      let raw: Buffer;
      try {
        raw = await readBody(req, options.maxBodyBytes);
      } catch (error) {
        if (error instanceof BodyTooLargeError) {
          return sendGraphQLError(
            res,
            413,
            'BAD_USER_INPUT',
            `The request body is larger than ${options.maxBodyBytes} bytes.`,
          );
        }
        throw error;
      }
      const contentType = req.headers['content-type'] ?? '';
      if (
        contentType.includes('application/json') ||
        contentType.includes('application/graphql-response+json')
      ) {
        try {
          body = raw.length > 0 ? JSON.parse(raw.toString('utf8')) : undefined;
        } catch {
          return sendGraphQLError(res, 400, 'BAD_REQUEST', 'The request body is not valid JSON.');
        }
      } else {
        body = raw.toString('utf8');
      }
    }
    const headers = new HeaderMap();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    const httpGraphQLRequest: HTTPGraphQLRequest = {
      method: req.method ?? 'GET',
      headers,
      search: url.search,
      body,
    };

    const { result } = countStatements(() =>
      options.apollo.executeHTTPGraphQLRequest({ httpGraphQLRequest, context: () => options.context(req) }),
    );
    const response = await result;
    for (const [name, value] of response.headers) res.setHeader(name, value);
    res.statusCode = response.status ?? 200;
    if (response.body.kind === 'complete') {
      res.end(response.body.string);
      return;
    }
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  };
}
