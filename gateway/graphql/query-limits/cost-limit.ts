import {
  getNamedType,
  getNullableType,
  isCompositeType,
  isInterfaceType,
  isListType,
  isObjectType,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';
import type { OperationHook } from '../operation-hooks.ts';
import { queryLimitError } from './query-limit-error.ts';

/** Assumed length of a list field without a `first` argument, unless LIST_SIZES knows better. */
const DEFAULT_LIST_SIZE = 10;

/** Lists whose length the catalogue knows (reference data) or bounds (unpaginated catalogue lists). */
const LIST_SIZES: Record<string, number> = {
  // The whole OZG catalogue (557 OZG-Leistungen): a search or a Themenfeld narrows it, but a search
  // for a common word (or a substring of every name) does not.
  'Query.ozgLeistungen': 600,
  'Query.providers': 50,
  'Query.laender': 17,
  'Query.themenfelder': 14,
  'Query.lebenslagen': 50,
};

/**
 * Refuses an operation whose estimated cost is above `maxCost`, before anything is executed. Each
 * field costs 1 for each time it can occur in the response: a field inside `services(first: 50)`
 * counts 50 times, inside a list without `first` as often as LIST_SIZES (default 10) says. The page
 * size is known only with the variables, so this runs per request; the walk is linear in the
 * document's size (each fragment is costed once) and takes microseconds for normal queries.
 */
export function costLimit(options: { maxCost: number }): OperationHook {
  // Parsed documents are cached and reused, so is the cost of an operation that reads no variable.
  const fixedCosts = new WeakMap<OperationDefinitionNode, number>();
  return {
    check({ operation, document, variables: given, schema }) {
      let cost = fixedCosts.get(operation);
      if (cost === undefined) {
        const fragments = new Map<string, FragmentDefinitionNode>();
        for (const definition of document.definitions) {
          if (definition.kind === 'FragmentDefinition') fragments.set(definition.name.value, definition);
        }
        const variables: Record<string, unknown> = {};
        for (const definition of operation.variableDefinitions ?? []) {
          const name = definition.variable.name.value;
          variables[name] =
            given[name] !== undefined
              ? given[name]
              : definition.defaultValue
                ? literal(definition.defaultValue, {})
                : null;
        }
        const root =
          operation.operation === 'query'
            ? schema.getQueryType()
            : operation.operation === 'mutation'
              ? schema.getMutationType()
              : schema.getSubscriptionType();
        if (!root) return;
        const estimate = new CostEstimate(schema, fragments, variables);
        cost = estimate.of(operation.selectionSet, root, null);
        if (!estimate.readVariables) fixedCosts.set(operation, cost);
      }
      if (cost > options.maxCost) {
        throw queryLimitError(
          'COST',
          `The query could return about ${Math.round(cost)} fields; at most ${options.maxCost} are allowed. Ask for smaller pages (\`first\`) or fewer nested lists.`,
          options.maxCost,
          Math.round(cost),
        );
      }
    },
  };
}

class CostEstimate {
  readonly #fragmentCosts = new Map<string, number>();
  /** Whether the estimate depends on the request's variables. */
  readVariables = false;

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly fragments: ReadonlyMap<string, FragmentDefinitionNode>,
    private readonly variables: Record<string, unknown>,
  ) {}

  /**
   * The cost of a selection set met once. `pageSize` is the `first` of the connection this set
   * belongs to: it multiplies the connection's `edges`, not its `totalCount` or `facets`.
   */
  of(
    set: SelectionSetNode,
    type: GraphQLCompositeType,
    pageSize: number | null,
    visiting = new Set<string>(),
  ): number {
    let cost = 0;
    for (const selection of set.selections) {
      if (selection.kind === 'Field') {
        cost += this.#field(selection, type, pageSize, visiting);
      } else if (selection.kind === 'InlineFragment') {
        const condition = selection.typeCondition
          ? this.schema.getType(selection.typeCondition.name.value)
          : type;
        if (isCompositeType(condition))
          cost += this.of(selection.selectionSet, condition, pageSize, visiting);
      } else {
        const name = selection.name.value;
        const fragment = this.fragments.get(name);
        if (!fragment || visiting.has(name)) continue;
        const key = `${name}/${pageSize ?? ''}`;
        if (!this.#fragmentCosts.has(key)) {
          const condition = this.schema.getType(fragment.typeCondition.name.value);
          visiting.add(name);
          this.#fragmentCosts.set(
            key,
            isCompositeType(condition) ? this.of(fragment.selectionSet, condition, pageSize, visiting) : 0,
          );
          visiting.delete(name);
        }
        cost += this.#fragmentCosts.get(key)!;
      }
    }
    return cost;
  }

  #field(
    node: FieldNode,
    parent: GraphQLCompositeType,
    pageSize: number | null,
    visiting: Set<string>,
  ): number {
    const name = node.name.value;
    if (name.startsWith('__')) return 0;
    const definition: GraphQLField<unknown, unknown> | undefined =
      isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[name] : undefined;
    if (!definition || !node.selectionSet) return 1;
    const type = getNamedType(definition.type);
    if (!isCompositeType(type)) return 1;
    const first = this.#first(node, definition);
    let multiplier = 1;
    let childPageSize: number | null = null;
    if (first !== null && 'getFields' in type && 'edges' in type.getFields()) {
      childPageSize = first; // a connection: its edges come `first` times
    } else if (first !== null) {
      multiplier = first;
    } else if (isListType(getNullableType(definition.type))) {
      multiplier =
        pageSize !== null && (name === 'edges' || name === 'nodes')
          ? pageSize
          : (LIST_SIZES[`${parent.name}.${name}`] ?? DEFAULT_LIST_SIZE);
    }
    return 1 + multiplier * this.of(node.selectionSet, type, childPageSize, visiting);
  }

  /**
   * The page size a field asks for: its `first` argument, from the query, a variable or the schema's
   * default. A `first` left out or null gets the schema's default, as the resolvers give it (`first ??
   * 20` where the schema says `first: Int = 20`): counted as unknown, it let a query cost twice what
   * the limit allows.
   */
  #first(node: FieldNode, definition: GraphQLField<unknown, unknown>): number | null {
    const parameter = definition.args.find((a) => a.name === 'first');
    if (!parameter) return null;
    const argument = node.arguments?.find((a) => a.name.value === 'first');
    if (argument?.value.kind === 'Variable') this.readVariables = true;
    const value = (argument ? literal(argument.value, this.variables) : null) ?? parameter.defaultValue;
    if (value === undefined || value === null) return null;
    // An invalid page size is refused by the resolver; for the estimate it counts as one item.
    return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 1;
  }
}

function literal(node: ValueNode, variables: Record<string, unknown>): unknown {
  if (node.kind === 'Variable') return variables[node.name.value];
  if (node.kind === 'IntValue' || node.kind === 'FloatValue') return Number(node.value);
  return null;
}
