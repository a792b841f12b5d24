import { GraphQLScalarType, Kind, valueFromASTUntyped } from 'graphql';
import { DATE_TIME_EXPECTED, parseDateTime } from '../../catalog-schema/date-time.ts';

/** ISO 8601 date-times, always written in UTC. */
export const DateTimeScalar = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  serialize(value) {
    const date = value instanceof Date ? value : new Date(value as string);
    if (Number.isNaN(date.getTime())) throw new TypeError('DateTime cannot represent an invalid date');
    return date.toISOString();
  },
  parseValue: (value) => dateTimeInput(typeof value === 'string' ? value : null),
  parseLiteral: (ast) => dateTimeInput(ast.kind === Kind.STRING ? ast.value : null),
});

/** An input date-time: RFC 3339 with its offset (`2027-06-30T12:00:00Z`), else BAD_USER_INPUT. */
function dateTimeInput(text: string | null): Date {
  const date = text === null ? null : parseDateTime(text);
  if (!date) throw new TypeError(DATE_TIME_EXPECTED);
  return date;
}

/** Any JSON value, passed through as is (listing documents are checked against their JSON Schema). */
export const JsonScalar = new GraphQLScalarType({
  name: 'JSON',
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: (ast, variables) => valueFromASTUntyped(ast, variables),
});
