import type { FieldNode, FragmentDefinitionNode, GraphQLResolveInfo, SelectionSetNode } from 'graphql';

/** Whether the current field's selection (through fragments too) asks for a direct subfield. */
export function selectsField(info: GraphQLResolveInfo, name: string): boolean {
  return info.fieldNodes.some(
    (node) => node.selectionSet !== undefined && inSelection(node.selectionSet, name, info.fragments),
  );
}

function inSelection(
  set: SelectionSetNode,
  name: string,
  fragments: Record<string, FragmentDefinitionNode>,
): boolean {
  return set.selections.some((selection) => {
    if (selection.kind === 'Field') return (selection as FieldNode).name.value === name;
    if (selection.kind === 'InlineFragment') return inSelection(selection.selectionSet, name, fragments);
    const fragment = fragments[selection.name.value];
    return fragment !== undefined && inSelection(fragment.selectionSet, name, fragments);
  });
}
