"""The curriculum tree: numbering derived from position, and the secretariat's edits."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select

from ..audit.services import record
from ..extensions import db
from .models import Course, CurriculumModule, case_study_module

# The report's numbering styles by depth: (1) (2) → ① ② → ア イ; deeper levels use a) b).
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
_KATAKANA = "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワ"


def module_number(depth: int, index: int) -> str:
    """The label of the index-th (from 0) module at a depth (from 0): (1), ①, ア, a)."""
    if depth == 0:
        return f"({index + 1})"
    if depth == 1:
        return _CIRCLED[index] if index < len(_CIRCLED) else f"({index + 1})"
    if depth == 2:
        return _KATAKANA[index] if index < len(_KATAKANA) else f"{index + 1}."
    return f"{chr(ord('a') + index % 26)})"


@dataclass
class ModuleNode:
    module: CurriculumModule
    number: str
    depth: int
    children: list[ModuleNode] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.number} {self.module.title}"


def curriculum_tree(course: Course) -> list[ModuleNode]:
    """The course's modules as a numbered tree, loaded in one query."""
    modules = db.session.scalars(
        select(CurriculumModule)
        .where(CurriculumModule.course_id == course.id)
        .order_by(CurriculumModule.position, CurriculumModule.id)
    ).all()
    by_parent: dict[int | None, list[CurriculumModule]] = {}
    for module in modules:
        by_parent.setdefault(module.parent_id, []).append(module)

    def build(parent_id: int | None, depth: int) -> list[ModuleNode]:
        return [
            ModuleNode(m, module_number(depth, i), depth, build(m.id, depth + 1))
            for i, m in enumerate(by_parent.get(parent_id, []))
        ]

    return build(None, 0)


def flatten(tree: list[ModuleNode]) -> list[ModuleNode]:
    """Depth-first list of the tree's nodes, in reading order."""
    out: list[ModuleNode] = []
    for node in tree:
        out.append(node)
        out.extend(flatten(node.children))
    return out


def _siblings(module: CurriculumModule) -> list[CurriculumModule]:
    return list(
        db.session.scalars(
            select(CurriculumModule)
            .where(
                CurriculumModule.course_id == module.course_id,
                CurriculumModule.parent_id.is_(None)
                if module.parent_id is None
                else CurriculumModule.parent_id == module.parent_id,
            )
            .order_by(CurriculumModule.position, CurriculumModule.id)
        )
    )


def _renumber(siblings: list[CurriculumModule]) -> None:
    for position, sibling in enumerate(siblings):
        sibling.position = position


def add_module(
    course: Course,
    title: str,
    parent: CurriculumModule | None = None,
    description: str = "",
    planned_minutes: int | None = None,
) -> CurriculumModule:
    """Append a module at the end of its level."""
    if parent is not None and parent.course_id != course.id:
        raise ValueError("parent belongs to another course")
    last = db.session.scalar(
        select(func.max(CurriculumModule.position)).where(
            CurriculumModule.course_id == course.id,
            CurriculumModule.parent_id.is_(None) if parent is None else CurriculumModule.parent_id == parent.id,
        )
    )
    module = CurriculumModule(
        course_id=course.id,
        parent_id=parent.id if parent else None,
        title=title,
        description=description,
        planned_minutes=planned_minutes,
        position=(last + 1) if last is not None else 0,
    )
    db.session.add(module)
    db.session.flush()
    record("curriculum.module_added", module, after={"title": title, "parent_id": module.parent_id})
    return module


def move_module(module: CurriculumModule, offset: int) -> bool:
    """Move a module up (-1) or down (+1) among its siblings; numbers follow. False at either end."""
    siblings = _siblings(module)
    index = siblings.index(module)
    target = index + offset
    if not 0 <= target < len(siblings):
        return False
    siblings.insert(target, siblings.pop(index))
    _renumber(siblings)
    record("curriculum.module_moved", module, before={"position": index}, after={"position": target})
    return True


def rename_module(module: CurriculumModule, title: str, description: str, planned_minutes: int | None) -> None:
    before = {"title": module.title, "description": module.description, "planned_minutes": module.planned_minutes}
    module.title, module.description, module.planned_minutes = title, description, planned_minutes
    after = {"title": title, "description": description, "planned_minutes": planned_minutes}
    if before != after:
        record("curriculum.module_changed", module, before=before, after=after)


def uses_below(nodes: list[ModuleNode]) -> dict[int, tuple[int, int]]:
    """For each module: how many agenda blocks and case studies refer to it or to an item under it (what its
    deletion would unlink), in two queries."""
    from ..sessions.models import agenda_block_module

    def counted(table, key) -> dict[int, set[int]]:
        found: dict[int, set[int]] = {}
        for module_id, other in db.session.execute(select(table.c.module_id, table.c[key])):
            found.setdefault(module_id, set()).add(other)
        return found

    blocks, studies = counted(agenda_block_module, "block_id"), counted(case_study_module, "case_study_id")
    uses: dict[int, tuple[int, int]] = {}

    def walk(node: ModuleNode) -> tuple[set[int], set[int]]:
        own_blocks, own_studies = set(blocks.get(node.module.id, ())), set(studies.get(node.module.id, ()))
        for child in node.children:
            child_blocks, child_studies = walk(child)
            own_blocks |= child_blocks
            own_studies |= child_studies
        uses[node.module.id] = (len(own_blocks), len(own_studies))
        return own_blocks, own_studies

    for node in nodes:
        walk(node)
    return uses


def remove_module(module: CurriculumModule) -> None:
    """Delete a module with everything under it; its siblings close the gap."""
    siblings = [s for s in _siblings(module) if s.id != module.id]
    record("curriculum.module_removed", module, before={"title": module.title, "parent_id": module.parent_id})
    db.session.delete(module)
    _renumber(siblings)
