"""The storyboard state machine (ASAM OpenSCENARIO 1.x §8.4 "Storyboard element states").

Every StoryboardElement (Story, Act, ManeuverGroup, Maneuver, Event, Action)
is in ``standbyState``, ``runningState`` or ``completeState`` and moves by
``startTransition`` (standby→running), ``endTransition`` (running→complete,
or back to standby while its ``maximumExecutionCount`` is not reached),
``stopTransition`` (standby/running→complete, forced by a stop trigger, by an
overriding event, or by the parent ending) and ``skipTransition`` (an event
with priority ``skip`` whose trigger fired while a sibling ran).

Rules implemented, in the standard's words:
- Story runs as soon as the storyboard runs (no trigger of its own).
- Act starts on its startTrigger (an Act without one starts with its story,
  1.1+), ends when all its maneuver groups have ended, stops on its stopTrigger.
- ManeuverGroup and Maneuver start with their parent; a ManeuverGroup that ends
  and has executions left returns to standby and starts again while its act runs.
- Event starts on its startTrigger (none: at once) and obeys its priority:
  ``override`` (1.0 ``overwrite``) stops every running event of the same
  maneuver, ``skip`` is not started while another event of the maneuver runs,
  ``parallel`` just starts.  Its actions start with it; it ends when they all have.
- A stop of an element stops its whole subtree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Callable, Protocol

from simplatform.engine.triggers import TriggerRuntime


class State(str, Enum):
    STANDBY = "standbyState"
    RUNNING = "runningState"
    COMPLETE = "completeState"


class Transition(str, Enum):
    START = "startTransition"
    END = "endTransition"
    STOP = "stopTransition"
    SKIP = "skipTransition"


PRIORITY_ALIASES = {"overwrite": "override", "override": "override", "skip": "skip", "parallel": "parallel"}


class ActionRunner(Protocol):
    """The leaf of the tree: one OpenSCENARIO action over its actors.

    ``start`` returns True when the action completed instantly (Teleport, a
    step speed change); ``step`` returns True when it has completed.
    """

    def start(self, engine, actors: tuple[str, ...]) -> bool: ...
    def step(self, engine, dt: float) -> bool: ...
    def stop(self, engine) -> None: ...


@dataclass(eq=False)
class Element:
    """One node of the storyboard tree with its state."""

    name: str
    kind: str  # "Story", "Act", "ManeuverGroup", "Maneuver", "Event", "Action"
    children: list["Element"] = field(default_factory=list)
    start_trigger: TriggerRuntime | None = None
    stop_trigger: TriggerRuntime | None = None
    maximum_execution_count: int = 1
    priority: str = "parallel"
    actors: tuple[str, ...] = ()
    select_triggering_entities: bool = False
    runner: ActionRunner | None = None
    parent: "Element | None" = None
    state: State = State.STANDBY
    executions: int = 0
    last_transition: Transition | None = None
    transition_step: int = -10
    order: int = 0  # position in a pre-order walk of the storyboard

    def path(self) -> str:
        names = []
        node: Element | None = self
        while node is not None:
            names.append(node.name)
            node = node.parent
        return "::".join(reversed(names))


@dataclass(frozen=True)
class StoryboardEvent:
    """A log line: an element changed state."""

    time: float
    element: str
    kind: str
    transition: str


class Storyboard:
    """Runs the tree; ``engine`` is passed through to triggers and actions."""

    def __init__(self, stories: list[Element], stop_trigger: TriggerRuntime | None,
                 on_transition: Callable[[StoryboardEvent], None] | None = None) -> None:
        self.stories = stories
        self.stop_trigger = stop_trigger
        self.on_transition = on_transition
        self.by_name: dict[str, list[Element]] = {}
        self.log: list[StoryboardEvent] = []
        self.stopped = False
        self.events_fired = 0
        self._time = 0.0
        self._step = 0
        self._running_actions: list[Element] = []
        self._order = 0
        for story in stories:
            self._index(story, None)
        self._changed = True  # a transition happened since the watch list was made
        self._watch: list[tuple[tuple[int, int], str, Element, Element]] = []
        self._complete = False
        self.completion_noted = False  # engine/run.py end_reason_of: a completion is noted once per run

    def _index(self, el: Element, parent: Element | None) -> None:
        el.parent = parent
        el.order = self._order
        self._order += 1
        self.by_name.setdefault(el.name, []).append(el)
        for child in el.children:
            self._index(child, el)

    def find(self, name: str) -> Element | None:
        """Element by name or by '::'-separated path suffix (OpenSCENARIO 1.1+ references)."""
        if "::" in name:
            leaf = name.split("::")[-1]
            for el in self.by_name.get(leaf, []):
                if el.path().endswith(name):
                    return el
            return None
        found = self.by_name.get(name)
        return found[0] if found else None

    # ------------------------------------------------------------- transitions
    def _mark(self, el: Element, transition: Transition) -> None:
        self._changed = True
        el.last_transition = transition
        el.transition_step = self._step
        ev = StoryboardEvent(self._time, el.name, el.kind, transition.value)
        self.log.append(ev)
        if el.kind == "Event" and transition is Transition.START:
            self.events_fired += 1
        if self.on_transition is not None:
            self.on_transition(ev)

    def _start(self, engine, el: Element, triggering: tuple[str, ...] = ()) -> None:
        el.state = State.RUNNING
        el.executions += 1
        self._mark(el, Transition.START)
        if el.kind == "Action":
            if el.runner is not None and el.runner.start(engine, el.actors):
                self._end(engine, el)
            else:
                self._running_actions.append(el)
            return
        for child in el.children:
            child.state = State.STANDBY
            child.executions = 0
            if child.kind in ("Maneuver", "Event", "Action"):
                child.actors = el.actors
            if child.kind == "ManeuverGroup" and child.select_triggering_entities and triggering:
                child.actors = tuple(dict.fromkeys(child.actors + triggering))
            if child.start_trigger is not None:
                child.start_trigger.reset()
        if el.kind == "Event":
            for child in el.children:
                if child.state is State.STANDBY:
                    self._start(engine, child)
            self._check_end(engine, el)
        elif el.kind in ("Story", "Act", "ManeuverGroup"):
            for child in el.children:
                if child.kind == "ManeuverGroup" or child.kind == "Maneuver" or (
                    child.kind == "Act" and (child.start_trigger is None or child.start_trigger.empty)
                ):
                    if child.kind == "ManeuverGroup":
                        child.actors = tuple(dict.fromkeys(child.actors + tuple(el.actors)))
                    self._start(engine, child, triggering)
            if not el.children:
                # nothing to wait for: a ManeuverGroup may have no Maneuver (XSD minOccurs 0; CARLA's
                # Slalom.xosc), and it ends when all of them have (OSC 1.3 §7.4.4) -- at once.  Every
                # execution left would end the same instant, so it uses them all now: restarting it
                # once per execution recursed start -> end -> start (a maximumExecutionCount of 1000
                # overflowed Python's stack), and no condition could tell the executions apart.
                el.executions = max(el.executions, el.maximum_execution_count)
                self._check_end(engine, el)

    def _end(self, engine, el: Element) -> None:
        if el.kind == "Action" and el in self._running_actions:
            self._running_actions.remove(el)
        again = el.executions < el.maximum_execution_count and el.kind in ("Event", "ManeuverGroup")
        el.state = State.STANDBY if again else State.COMPLETE
        self._mark(el, Transition.END)
        if again and el.kind == "Event" and el.start_trigger is not None:
            el.start_trigger.reset()
        parent = el.parent
        if parent is not None and parent.state is State.RUNNING:
            if again and el.kind == "ManeuverGroup":
                self._start(engine, el)
            else:
                self._check_end(engine, parent)

    def _stop(self, engine, el: Element) -> None:
        if el.state is State.COMPLETE:
            return
        for child in el.children:
            self._stop(engine, child)
        if el.kind == "Action" and el.state is State.RUNNING:
            if el.runner is not None:
                el.runner.stop(engine)
            if el in self._running_actions:
                self._running_actions.remove(el)
        el.state = State.COMPLETE
        self._mark(el, Transition.STOP)

    def _check_end(self, engine, el: Element) -> None:
        if el.state is not State.RUNNING:
            return
        if all(c.state is State.COMPLETE for c in el.children):
            self._end(engine, el)

    # ------------------------------------------------------------------ step
    def begin(self, engine) -> None:
        """The storyboard enters runningState: stories start, trigger-less acts with them."""
        for story in self.stories:
            self._start(engine, story)

    def evaluate(self, engine, time: float, step: int) -> None:
        """Evaluate every armed trigger against the current world and apply the transitions."""
        self._time = time
        self._step = step
        if self.stop_trigger is not None and self.stop_trigger.evaluate(engine, time):
            for story in self.stories:
                self._stop(engine, story)
            self.stopped = True
            return
        if self._changed:
            self._rebuild_watch()
        watch = self._watch
        n = 0
        while n < len(watch):
            key, what, parent, child = watch[n]
            if what == "event":
                if child.start_trigger.evaluate(engine, time):
                    self._fire_event(engine, parent, child)
            elif what == "event_now":  # no trigger, or an empty one: starts when its maneuver runs
                self._fire_event(engine, parent, child)
            elif what == "act_start":
                if child.start_trigger.evaluate(engine, time):
                    self._start(engine, child, child.start_trigger.triggering)
            elif child.stop_trigger.evaluate(engine, time):  # "act_stop"
                self._stop(engine, child)
                self._check_end(engine, parent)
            if self._changed:  # the tree changed: the walk goes on from here over the new states
                self._rebuild_watch()
                watch = self._watch
                n = next((k for k, w in enumerate(watch) if w[0] > key), len(watch))
            else:
                n += 1

    def _rebuild_watch(self) -> None:
        """What a walk of the tree would look at now, in its order: the trigger of each standby
        Act (with one), the stop trigger of each running Act, each standby Event of a running
        Maneuver — under running ancestors.  States change only by transitions (``_mark``), so
        the list holds until the next one; the walk then resumes after the check it was at
        (an Act started by its trigger is walked into in the same step, as a recursive walk does)."""
        watch: list[tuple[tuple[int, int], str, Element, Element]] = []

        def walk(el: Element) -> None:
            for child in el.children:
                kind = child.kind
                if kind == "Act":
                    if child.state is State.STANDBY and child.start_trigger is not None and not child.start_trigger.empty:
                        watch.append(((child.order, 0), "act_start", el, child))
                    if child.state is State.RUNNING:
                        if child.stop_trigger is not None:
                            watch.append(((child.order, 1), "act_stop", el, child))
                        walk(child)
                elif kind == "ManeuverGroup" or kind == "Maneuver":
                    if child.state is State.RUNNING:
                        walk(child)
                elif kind == "Event" and child.state is State.STANDBY and el.state is State.RUNNING:
                    trig = child.start_trigger  # (a trigger's groups do not change after it is built)
                    now = trig is None or trig.empty
                    watch.append(((child.order, 0), "event_now" if now else "event", el, child))

        for story in self.stories:
            if story.state is State.RUNNING:
                walk(story)
        self._watch = watch
        self._complete = all(s.state is State.COMPLETE for s in self.stories)
        self._changed = False

    def _fire_event(self, engine, maneuver: Element, event: Element) -> None:
        priority = PRIORITY_ALIASES.get(event.priority, "parallel")
        others = [e for e in maneuver.children if e is not event and e.state is State.RUNNING]
        if priority == "skip" and others:
            self._mark(event, Transition.SKIP)
            return
        if priority == "override":
            for other in others:
                self._stop(engine, other)
        self._start(engine, event)

    def step_actions(self, engine, dt: float) -> None:
        """Advance running actions; the ones that complete end (and maybe end their parents)."""
        if not self._running_actions:
            return
        for el in tuple(self._running_actions):
            if el.state is State.RUNNING and el.runner is not None and el.runner.step(engine, dt):
                self._end(engine, el)

    def action_stopped_externally(self, engine, runner: ActionRunner) -> None:
        """An action was superseded (a newer action took over the same actor and domain):
        it ends (endTransition, as esmini reports an overridden action)."""
        for el in tuple(self._running_actions):
            if el.runner is runner:
                self._end(engine, el)

    @property
    def complete(self) -> bool:
        if self._changed:
            return all(s.state is State.COMPLETE for s in self.stories)
        return self._complete

    @property
    def running_actions(self) -> int:
        return len(self._running_actions)
