"""A rule's actions as the steps of a run: the `actions` list with its if/else branches
flattened, in order, so every action has one number (`Step.index`).

    [A, {"type": "branch", "then": [B, C], "else": [D]}, E]  ->  0 A, 1 branch, 2 B, 3 C, 4 D, 5 E

A step is unique per (run, index), so numbering each action of the tree once keeps the
"each action once" guarantee with branches: a run takes one arm, and an action is never
numbered twice. Without branches the numbers are the list's positions, as they were.
What follows a step is `after(actions, index, arm)`: the arm's first action for a branch
(its successor when that arm is empty), else the next action of its list, or what follows
the branch it sits in; None at the end.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy

BRANCH = "branch"
ARMS = ("then", "else")
LABEL = gettext_lazy("If / else")
ARM_LABELS = {"then": gettext_lazy("If so"), "else": gettext_lazy("Otherwise")}


@dataclass
class Node:
    raw: dict
    path: str  # its place in the spec: "actions.1.then.0"
    next: int | None = None
    arms: dict = field(default_factory=dict)  # "then"/"else": [flat indexes]


def is_branch(raw) -> bool:
    return isinstance(raw, dict) and raw.get("type") == BRANCH


def flatten(actions: list) -> list[Node]:
    nodes: list[Node] = []

    def walk(items, path) -> list[int]:
        ids = []
        for j, raw in enumerate(items or []):
            node = Node(raw, f"{path}.{j}")
            nodes.append(node)
            ids.append(len(nodes) - 1)
            if is_branch(raw):
                for arm in ARMS:
                    node.arms[arm] = walk(raw.get(arm), f"{node.path}.{arm}")
        return ids

    def link(ids, outer):
        for k, i in enumerate(ids):
            nodes[i].next = ids[k + 1] if k + 1 < len(ids) else outer
            for arm_ids in nodes[i].arms.values():
                link(arm_ids, nodes[i].next)

    link(walk(actions, "actions"), None)
    return nodes


def item(actions: list, index: int) -> dict:
    return flatten(actions)[index].raw


def path(actions: list, index: int) -> str:
    nodes = flatten(actions)
    return nodes[index].path if 0 <= index < len(nodes) else f"actions.{index}"


def after(actions: list, index: int, arm: str | None = None) -> int | None:
    """The step after `index`: into `arm` of a branch that took it, else past it."""
    node = flatten(actions)[index]
    if node.arms.get(arm):
        return node.arms[arm][0]
    return node.next


def count(actions: list) -> int:
    return len(flatten(actions))
