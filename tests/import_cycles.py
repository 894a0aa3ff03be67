"""Finding an import cycle in a module graph (the layer tests of campaigns/ and emulator/)."""

from __future__ import annotations


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle as a path (first module repeated at the end), or [] when acyclic."""
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done
    stack: list[str] = []

    def visit(mod: str) -> list[str]:
        state[mod] = 1
        stack.append(mod)
        for dep in sorted(graph.get(mod, ())):
            if state.get(dep) == 1:
                return stack[stack.index(dep) :] + [dep]
            if dep not in state:
                cycle = visit(dep)
                if cycle:
                    return cycle
        stack.pop()
        state[mod] = 2
        return []

    for mod in sorted(graph):
        if mod not in state:
            cycle = visit(mod)
            if cycle:
                return cycle
    return []
