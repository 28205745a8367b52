"""One editing session: the opened document, its parsed layout, validation issues and compiled world, undo
and redo, open / save / new. The server calls it from several threads; a lock serialises changes.

After every change of the text the layout is parsed, validated (`anyscene.validation.validate`) and compiled into a World
(agents recompiled, the static map reused when the edit left the map alone), so the states the browser draws
at any t are the world's own.
"""
from __future__ import annotations

import dataclasses
import hashlib
import threading
from dataclasses import dataclass, field

from ..classes import AGENT_CLASSES, STATIC_PROPS
from ..errors import AnySceneError, Issue, LayoutError, Location
from ..layout.geometry import build_road_geometry
from ..layout.motion import build_motion
from ..layout.yamlio import parse_layout
from ..names import safe_name
from ..validation import validate
from ..world import World
from ..world.agents import compile_agents
from ..world.grid import GridSpec
from .document import Document, read_edited
from .ops import EditContext, EditError, apply_ops
from .workspace import MissingFile, Workspace, WorkspaceError, atomic_write

MAX_UNDO = 200  # undo steps kept


class SaveConflict(AnySceneError):
    """The file changed on disk since it was opened or last saved."""


SYNC_VALIDATION_AGENTS = 120  # scenes with more agents are validated in the background after an edit


@dataclass
class Compiled:
    """A parsed and checked text: layout and source map (None when the text does not parse), the issues (parse
    errors or scene issues; None while a background validation runs, `validated` is set when they are there),
    and the World (None when it cannot be compiled)."""

    text: str
    layout: object
    source: dict
    issues: tuple | None
    world: object
    parse_failed: bool
    version: int
    map_version: int
    validated: threading.Event = field(default_factory=threading.Event)

    def wait_issues(self, timeout: float | None = None) -> tuple | None:
        """The issues, waiting up to `timeout` s for a background validation (None if still running)."""
        self.validated.wait(timeout)
        return self.issues


def _digest(text: str | None) -> str | None:
    return None if text is None else hashlib.sha256(text.encode("utf-8")).hexdigest()


class Session:
    """See the module docstring. `path` is the document's workspace-relative path (None for a new layout that
    was never saved)."""

    def __init__(self, workspace: Workspace, grid: GridSpec = GridSpec(),
                 sync_validation_agents: int = SYNC_VALIDATION_AGENTS):
        self.workspace = workspace
        self.grid = grid
        self.sync_validation_agents = sync_validation_agents
        self._checks = threading.Condition()
        self._pending_check = None
        self._checker: threading.Thread | None = None
        self.lock = threading.RLock()
        self.path: str | None = None
        self.doc: Document | None = None
        self.current: Compiled | None = None
        self.saved_digest: str | None = None  # of the text last read from or written to `path`
        self.undo_stack: list[tuple[str, str]] = []  # (text, label)
        self.redo_stack: list[tuple[str, str]] = []
        self._version = 0
        self._map_version = 0
        self._previous_world = None  # the last compiled World, whose static parts the next compile may reuse
        first = workspace.file if workspace.file is not None else None
        if first is not None:
            rel = workspace.relative(first)
            if first.exists():
                self.open(rel)
            else:
                self._load_text(_blank_layout(first.stem), rel, None)
        else:
            files = workspace.layouts()
            if files:
                self.open(files[0])
            else:
                self._load_text(_blank_layout("new_layout"), None, None)

    # ------------------------------------------------------------------------------------------ files

    @property
    def file_label(self) -> str:
        return self.path or f"{self.current.layout.name if self.current and self.current.layout else 'new'}.yaml"

    def open(self, rel: str) -> None:
        text = self.workspace.read(rel)
        with self.lock:
            self._load_text(text, rel, _digest(text))

    def new_text(self, text: str) -> None:
        """Start a new, unsaved document with this text (a template)."""
        with self.lock:
            self._load_text(text, None, None)

    def _load_text(self, text: str, rel: str | None, digest: str | None) -> None:
        self.path = rel
        self.saved_digest = digest
        self.undo_stack.clear()
        self.redo_stack.clear()
        self._set_text(text)

    @property
    def dirty(self) -> bool:
        return self.path is None or _digest(self.current.text) != self.saved_digest

    def save(self, rel: str | None = None, force: bool = False) -> str:
        """Write the text to `rel` (default: the document's own path), atomically. Refuses to replace a file
        that changed on disk since it was read (SaveConflict) unless `force`; save-as refuses an existing file
        unless `force`."""
        with self.lock:
            target = rel or self.path
            if target is None:
                raise WorkspaceError("this layout has no file yet: use 'save as' with a file name")
            path = self.workspace.resolve(target)
            if not path.parent.is_dir():
                raise MissingFile(f"{target}: the folder {path.parent.name} does not exist")
            if not force and path.exists():
                on_disk = _digest(path.read_text(encoding="utf-8", errors="replace"))
                if target != self.path:
                    raise SaveConflict(f"{target}: exists already; save again to replace it")
                if on_disk != self.saved_digest:
                    raise SaveConflict(f"{target}: changed on disk since it was opened; save again to replace "
                                       "it, or reopen it")
            text = self.current.text
            atomic_write(path, text)
            self.path = target
            self.saved_digest = _digest(text)
            return target

    # ----------------------------------------------------------------------------------------- edits

    def edit(self, ops: list, t: float = 0.0, label: str = "edit") -> list[str]:
        """Apply the operations as one undoable edit; EditError (nothing changed) when they do not apply or
        the result does not read as a layout."""
        with self.lock:
            cur = self.current
            if cur.parse_failed or self.doc is None:
                raise EditError("the layout does not parse; fix it in the text view first")
            ctx = EditContext(t=float(t), headings=self._headings(cur, t))
            created: list[str] = []

            def apply(tree):
                created.extend(apply_ops(tree, ops, ctx))

            try:
                text = self.doc.edited_text(apply)
            except LayoutError as e:
                raise EditError(str(e)) from None
            if text == cur.text:
                return created
            compiled = self._compile(text, cur.version + 1, self.doc.successor)
            if compiled.parse_failed:
                raise EditError("the edit makes the layout unreadable: "
                                + "; ".join(i.message for i in compiled.issues[:3]))
            self._push_undo(cur.text, label)
            self._commit(text, compiled, self.doc.successor)
            return created

    def set_text(self, text: str, label: str = "text edit") -> None:
        """Replace the whole text (the text view); a text that does not parse is kept and shown with its
        errors."""
        with self.lock:
            if text == self.current.text:
                return
            self._push_undo(self.current.text, label)
            self._set_text(text)

    def undo(self) -> bool:
        with self.lock:
            if not self.undo_stack:
                return False
            text, label = self.undo_stack.pop()
            self.redo_stack.append((self.current.text, label))
            self._set_text(text)
            return True

    def redo(self) -> bool:
        with self.lock:
            if not self.redo_stack:
                return False
            text, label = self.redo_stack.pop()
            self.undo_stack.append((self.current.text, label))
            self._set_text(text)
            return True

    def _push_undo(self, text: str, label: str) -> None:
        self.undo_stack.append((text, label))
        del self.undo_stack[:-MAX_UNDO]
        self.redo_stack.clear()

    def _set_text(self, text: str) -> None:
        version = (self.current.version + 1) if self.current else 1
        self._commit(text, self._compile(text, version))

    def _commit(self, text: str, compiled: Compiled, successor: tuple | None = None) -> None:
        if compiled.parse_failed:
            self.doc = None
        elif successor is not None:
            self.doc = Document(text, self.file_label, *successor)
        else:
            self.doc = Document(text, self.file_label)
        self.current = compiled
        if self.doc is not None and successor is None:
            # Load the round-trip tree while the user looks at the result, so the next edit starts at once.
            threading.Thread(target=self.doc.warm, daemon=True, name="anyscene-edit-warm").start()

    def _headings(self, cur: Compiled, t: float) -> dict[str, float]:
        if cur.world is None:
            return {}
        st = cur.world.states(t)
        out = {tr.id: float(st.yaw[i]) for i, tr in enumerate(cur.world.agents)}
        out["ego"] = float(cur.world.ego_pose(t).yaw)
        return out

    # --------------------------------------------------------------------------------------- compile

    def _compile(self, text: str, version: int, successor: tuple | None = None) -> Compiled:
        """Parse (from the edited tree when there is one: no second YAML parse), validate and compile."""
        file = self.file_label
        try:
            read = read_edited(successor[0], text, file) if successor is not None else None
            layout, source = read if read is not None else parse_layout(text, file)
        except LayoutError as e:
            compiled = Compiled(text, None, {}, tuple(e.issues), None, True, version, self._map_version)
            compiled.validated.set()
            return compiled
        world, failure = None, None
        try:
            world = self._world(layout)
        except Exception as e:  # noqa: BLE001 - an invalid layout may not compile; the issues say why
            failure = Issue(Location(file), f"the scene cannot be compiled: {e}")
        compiled = Compiled(text, layout, source, None, world, False, version, self._map_version)

        def check():
            try:
                issues = list(validate(layout, source, file))
            except Exception as e:  # noqa: BLE001 - a validator bug must not leave the page waiting
                issues = [Issue(Location(file), f"the validator failed: {type(e).__name__}: {e}")]
            if failure is not None and not any(i.severity == "error" for i in issues):
                issues.append(failure)
            compiled.issues = tuple(issues)
            compiled.validated.set()

        if len(layout.agents) > self.sync_validation_agents:
            self._schedule(check)
        else:
            check()
        return compiled

    def _schedule(self, check) -> None:
        """Run `check` on the validation thread; a check still waiting there is dropped (its text was replaced
        before it started, so nobody waits for it)."""
        with self._checks:
            self._pending_check = check
            self._checks.notify()
            if self._checker is None:
                self._checker = threading.Thread(target=self._check_loop, daemon=True, name="anyscene-validate")
                self._checker.start()

    def _check_loop(self) -> None:
        while True:
            with self._checks:
                while self._pending_check is None:
                    self._checks.wait()
                check, self._pending_check = self._pending_check, None
            check()

    def _world(self, layout):
        """World.compile(layout), reusing the road geometry and static rasters of the previous world when the
        map (and so its extent) is unchanged."""
        previous = self._previous_world
        if previous is not None and previous.layout.map != layout.map:
            previous = None
        roads = previous.roads if previous is not None else build_road_geometry(layout.map)
        try:
            agents = compile_agents(layout, roads)
        except Exception:  # noqa: BLE001 - a broken agent (the issues name it) must not hide the rest
            layout = _compilable(layout, roads)
            agents = compile_agents(layout, roads)
        world = World.compile(layout, roads, agents, previous=previous)
        if previous is None or world.static is not previous.static:
            self._map_version += 1
        self._previous_world = world
        return world

    @property
    def map_version(self) -> int:
        return self._map_version


def _compilable(layout, roads):
    """The layout without the agents, props and ego trajectory that cannot be compiled (unknown classes, roads
    or lanes), so the rest of the scene can still be drawn while the validator's issues say what is wrong."""
    def ok(trajectory) -> bool:
        try:
            build_motion(trajectory, roads)
            return True
        except Exception:  # noqa: BLE001
            return False

    agents = tuple(a for a in layout.agents if a.cls in AGENT_CLASSES and ok(a.trajectory))
    props = tuple(p for p in layout.map.props if p.cls in AGENT_CLASSES or p.cls in STATIC_PROPS)
    ego = layout.ego if layout.ego is None or ok(layout.ego.trajectory) else None
    return dataclasses.replace(layout, agents=agents, ego=ego, map=dataclasses.replace(layout.map, props=props))


def _blank_layout(name: str) -> str:
    safe = safe_name(name, "new_layout")
    return (f"# {safe}: a new layout\nname: {safe}\nduration: 20\nmap:\n  roads:\n"
            "    - {id: main, centerline: [[-100, 0], [100, 0]], lanes: {forward: 1, backward: 1}}\n"
            "ego:\n  trajectory: {lane: {road: main, lane: 1, s: 20, speed: 5}}\nagents: []\n")

