import {
  getDirectiveValues,
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLResolveInfo,
  type SelectionNode,
  type SelectionSetNode,
} from 'graphql';

/**
 * Whether the current field's selection (through fragments too) asks for a direct subfield: a
 * selection that `@skip` or `@include` leaves out asks for nothing.
 */
export function selectsField(info: GraphQLResolveInfo, name: string): boolean {
  return info.fieldNodes.some(
    (node) => node.selectionSet !== undefined && inSelection(node.selectionSet, name, info),
  );
}

function inSelection(set: SelectionSetNode, name: string, info: GraphQLResolveInfo): boolean {
  return set.selections.some((selection) => {
    if (!included(selection, info.variableValues)) return false;
    if (selection.kind === 'Field') return (selection as FieldNode).name.value === name;
    if (selection.kind === 'InlineFragment') return inSelection(selection.selectionSet, name, info);
    const fragment: FragmentDefinitionNode | undefined = info.fragments[selection.name.value];
    return fragment !== undefined && inSelection(fragment.selectionSet, name, info);
  });
}

/** What execution decides for a selection's `@skip(if:)` and `@include(if:)`. */
function included(selection: SelectionNode, variables: GraphQLResolveInfo['variableValues']): boolean {
  if (!selection.directives || selection.directives.length === 0) return true;
  if (getDirectiveValues(GraphQLSkipDirective, selection, variables)?.if === true) return false;
  return getDirectiveValues(GraphQLIncludeDirective, selection, variables)?.if !== false;
}
