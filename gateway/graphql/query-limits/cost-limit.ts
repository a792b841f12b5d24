import {
  getNamedType,
  getNullableType,
  isCompositeType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isListType,
  isObjectType,
  isUnionType,
  SchemaMetaFieldDef,
  TypeMetaFieldDef,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLObjectType,
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

/** The largest value of a GraphQL Int: a variable beyond it is refused when it is coerced. */
const MAX_INT = 2 ** 31 - 1;

/**
 * Refuses an operation whose estimated cost is above `maxCost`, before anything is executed. Each
 * field costs 1 for each time it can occur in the response: a field inside `services(first: 50)`
 * counts 50 times, inside a list without `first` as often as LIST_SIZES (default 10) says. The page
 * size is known only with the variables, so this runs per request; the walk is linear in the
 * document's size (each fragment is costed once) and takes microseconds for normal queries.
 *
 * Introspection counts too (only `__typename` is free): its answers are bounded by the schema itself,
 * see IntrospectionCost. A query that does not introspect never reaches that code.
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
  /** Created at the first introspection field: a query that does not introspect pays nothing for it. */
  #introspection: IntrospectionCost | undefined;
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
    if (name.startsWith('__')) {
      // `__typename` is answered from the object at hand and costs nothing. `__schema` and `__type`
      // (allowed on the query type only) return introspection objects, whose lists can be as long as
      // the schema is big: an unbounded multiplier of the response, if counted as free.
      if (name === '__typename' || !node.selectionSet) return 0;
      const meta =
        name === '__schema' ? SchemaMetaFieldDef : name === '__type' ? TypeMetaFieldDef : undefined;
      const type = meta && getNamedType(meta.type);
      if (!type || !isObjectType(type)) return 0;
      this.#introspection ??= new IntrospectionCost(this.schema, this.fragments);
      return 1 + this.#introspection.of(node.selectionSet, type, 1);
    }
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
    // Only a valid Int is a page size. Variables arrive here uncoerced: one that is no Int (3e9,
    // 1e308, 2.5, "50") is refused by coercion with BAD_USER_INPUT before anything runs, and must not
    // be refused here first as a huge cost. A page size of 0 or less is refused by the resolver. For
    // the estimate, all of these count as one item.
    return typeof value === 'number' && Number.isInteger(value) && value > 0 && value <= MAX_INT ? value : 1;
  }
}

function literal(node: ValueNode, variables: Record<string, unknown>): unknown {
  if (node.kind === 'Variable') return variables[node.name.value];
  if (node.kind === 'IntValue' || node.kind === 'FloatValue') return Number(node.value);
  return null;
}

/**
 * How long one introspection list can be (`max`: in one object) and how many items it has in the
 * whole schema (`total`: summed over all objects). `owned` lists hold items that belong to their
 * object (a type's fields, a field's arguments): the lists of different objects never share an item,
 * so distinct objects together have at most `total` of them. The other lists (a type's interfaces,
 * possible types) refer to types that many objects share.
 */
interface ListBound {
  max: number;
  total: number;
  owned: boolean;
}

/** The bounds depend only on the schema: computed at its first introspection query, then kept. */
const listBoundsBySchema = new WeakMap<GraphQLSchema, ReadonlyMap<string, ListBound>>();

function listBounds(schema: GraphQLSchema): ReadonlyMap<string, ListBound> {
  const known = listBoundsBySchema.get(schema);
  if (known) return known;
  const types = Object.values(schema.getTypeMap()); // with the introspection types and scalars
  const directives = schema.getDirectives();
  const directiveArgs = directives.map((directive) => directive.args.length);
  const counts = {
    fields: [] as number[],
    inputFields: [] as number[],
    enumValues: [] as number[],
    interfaces: [] as number[],
    possibleTypes: [] as number[],
    fieldArgs: [] as number[],
  };
  for (const type of types) {
    if (isObjectType(type) || isInterfaceType(type)) {
      const fields = Object.values(type.getFields());
      counts.fields.push(fields.length);
      for (const field of fields) counts.fieldArgs.push(field.args.length);
      counts.interfaces.push(type.getInterfaces().length);
    }
    if (isInterfaceType(type) || isUnionType(type))
      counts.possibleTypes.push(schema.getPossibleTypes(type).length);
    if (isInputObjectType(type)) counts.inputFields.push(Object.keys(type.getFields()).length);
    if (isEnumType(type)) counts.enumValues.push(type.getValues().length);
  }
  const bound = (lengths: number[], owned: boolean): ListBound => ({
    max: lengths.reduce((most, length) => Math.max(most, length), 0),
    total: lengths.reduce((sum, length) => sum + length, 0),
    owned,
  });
  const bounds = new Map<string, ListBound>([
    ['__Schema.types', bound([types.length], true)],
    ['__Schema.directives', bound([directives.length], true)],
    ['__Type.fields', bound(counts.fields, true)],
    ['__Type.inputFields', bound(counts.inputFields, true)],
    ['__Type.enumValues', bound(counts.enumValues, true)],
    ['__Type.interfaces', bound(counts.interfaces, false)],
    ['__Type.possibleTypes', bound(counts.possibleTypes, false)],
    ['__Field.args', bound(counts.fieldArgs, true)],
    ['__Directive.args', bound(directiveArgs, true)],
  ]);
  // A list graphql-js may add to introspection later, unknown here: as long as the longest list known.
  const longest = [...bounds.values()].reduce((most, b) => Math.max(most, b.total), 0);
  bounds.set('', { max: longest, total: longest, owned: false });
  listBoundsBySchema.set(schema, bounds);
  return bounds;
}

/**
 * The cost of introspection: each field once per object it can be returned for. Multiplying every
 * list by the longest one in the schema (each type with as many fields as the type with most, each
 * field with as many arguments as the field with most) would be an upper bound too, but about 90 times
 * the real size of a full schema introspection as GraphiQL, Apollo Sandbox and code generators send
 * it, far over the limit. So the walk costs a group of `size` distinct objects at once: the fields of
 * all types together are the schema's fields, not the number of types times the most fields of one.
 * A reference to a type (a field's `type`, `ofType`, `interfaces`) may be any type, the same one again
 * and again, so it starts a group of one.
 */
class IntrospectionCost {
  readonly #bounds: ReadonlyMap<string, ListBound>;
  /** By fragment and group size; the sizes are few, as owned lists nest three deep (types, fields, args). */
  readonly #fragmentCosts = new Map<string, number>();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  ) {
    this.#bounds = listBounds(schema);
  }

  /** The cost of a selection set on a group of `size` distinct introspection objects of `type`. */
  of(set: SelectionSetNode, type: GraphQLObjectType, size: number, visiting = new Set<string>()): number {
    let cost = 0;
    for (const selection of set.selections) {
      if (selection.kind === 'Field') {
        cost += this.#field(selection, type, size, visiting);
      } else if (selection.kind === 'InlineFragment') {
        // Validation allows only the type itself as the condition: introspection types are objects.
        cost += this.of(
          selection.selectionSet,
          this.#condition(selection.typeCondition?.name.value, type),
          size,
          visiting,
        );
      } else {
        const name = selection.name.value;
        const fragment = this.fragments.get(name);
        if (!fragment || visiting.has(name)) continue;
        const key = `${name}/${size}`;
        let fragmentCost = this.#fragmentCosts.get(key);
        if (fragmentCost === undefined) {
          visiting.add(name);
          fragmentCost = this.of(
            fragment.selectionSet,
            this.#condition(fragment.typeCondition.name.value, type),
            size,
            visiting,
          );
          visiting.delete(name);
          this.#fragmentCosts.set(key, fragmentCost);
        }
        cost += fragmentCost;
      }
    }
    return cost;
  }

  #field(node: FieldNode, parent: GraphQLObjectType, size: number, visiting: Set<string>): number {
    const name = node.name.value;
    if (name === '__typename') return 0;
    const definition = parent.getFields()[name];
    const type = definition && getNamedType(definition.type);
    if (!definition || !node.selectionSet || !isObjectType(type)) return size; // a leaf, once per object
    if (!isListType(getNullableType(definition.type))) {
      // One object each, a type referred to (`type`, `ofType`, `queryType`): any type, maybe repeated.
      return size * (1 + this.of(node.selectionSet, type, 1, visiting));
    }
    const bound = this.#bounds.get(`${parent.name}.${name}`) ?? this.#bounds.get('')!;
    const items = Math.min(size * bound.max, bound.total);
    return (
      size +
      (bound.owned
        ? this.of(node.selectionSet, type, items, visiting)
        : items * this.of(node.selectionSet, type, 1, visiting))
    );
  }

  #condition(name: string | undefined, type: GraphQLObjectType): GraphQLObjectType {
    const condition = name === undefined ? undefined : this.schema.getType(name);
    return condition && isObjectType(condition) ? condition : type;
  }
}
