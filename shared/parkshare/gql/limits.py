"""Limits on what one GraphQL document may ask: depth, aliases and tokens (strawberry's own
extensions) and a cost, counted here: every field costs one for each time it can appear, and
a list multiplies what is under it by LIST_FACTOR (a building has hundreds of spots, a spot
a few windows), so a query that would fan out into millions of fields is refused before it
runs, with a clear error."""

from __future__ import annotations

from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    get_named_type,
)

LIST_FACTOR = 20
MAX_DEPTH = 10
MAX_ALIASES = 15
MAX_TOKENS = 2_000
MAX_COST = 10_000


def _is_list(kind: GraphQLOutputType) -> bool:
    while isinstance(kind, GraphQLNonNull):
        kind = kind.of_type
    return isinstance(kind, GraphQLList)


class CostLimit(ValidationRule):
    """Refuses an operation whose cost exceeds MAX_COST."""

    def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
        schema = self.context.schema
        root = {
            "query": schema.query_type,
            "mutation": schema.mutation_type,
            "subscription": schema.subscription_type,
        }[node.operation.value]
        if root is None:
            return
        cost = self._cost(node.selection_set, root, 1, set())
        if cost > MAX_COST:
            self.report_error(
                GraphQLError(
                    f"the query would cost {cost} (limit {MAX_COST}): ask for fewer nested lists",
                    node,
                    extensions={"code": "query_too_costly", "status": 400},
                )
            )

    def _cost(
        self,
        selections: SelectionSetNode | None,
        parent: GraphQLObjectType,
        times: int,
        seen: set[str],
    ) -> int:
        if selections is None:
            return 0
        total = 0
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                field = parent.fields.get(selection.name.value)
                if field is None:
                    continue  # unknown fields are another rule's error
                total += times
                inner = get_named_type(field.type)
                if isinstance(inner, GraphQLObjectType):
                    factor = LIST_FACTOR if _is_list(field.type) else 1
                    total += self._cost(selection.selection_set, inner, times * factor, seen)
            elif isinstance(selection, InlineFragmentNode):
                target = parent
                if selection.type_condition is not None:
                    named = self.context.schema.get_type(selection.type_condition.name.value)
                    target = named if isinstance(named, GraphQLObjectType) else parent
                total += self._cost(selection.selection_set, target, times, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.context.get_fragment(name)
                if fragment is None or name in seen:
                    continue  # cycles are another rule's error
                named = self.context.schema.get_type(fragment.type_condition.name.value)
                target = named if isinstance(named, GraphQLObjectType) else parent
                total += self._cost(fragment.selection_set, target, times, seen | {name})
        return total


__all__ = ["MAX_ALIASES", "MAX_DEPTH", "MAX_TOKENS", "CostLimit", "ValidationContext"]
