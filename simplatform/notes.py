"""A run's notes: the engine's records a user must read beside the verdicts.

A scenario can pass while it was not played as written: an action of the storyboard was not
applied (a lane change scripted for the ego while a stack under test drives it,
``engine/actions_lateral.py``), a property-less controller on the ego was taken as the
placeholder for the system under test and who drives the ego changed
(``engine/controllers.py`` ``system_under_test_note``), CARLA's collision sensor fired
(``backends/carla_backend.py``), CARLA ScenarioRunner's ``criteria_*`` stop conditions were left to
the metrics (``engine/build.py``), or the storyboard completed with no stop trigger -- the run ended
there with nothing played, or a stack under test drove on (``engine/run.py`` ``end_reason_of``).
These are events of the ``ScenarioResult`` like the storyboard's transitions; this module says which of them are notes and how they read, for the
single-file summary (``commands/run.py``), the suite runner's console summary, its reports
and ``compare`` alike.

The notes are derived from the result's ``events``, which the results store keeps with every
result: a resumed run (and a run stored before notes were reported) shows the notes of the
scenarios it did not run again.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any, Iterable, Sequence

NOTE_KINDS = frozenset({
    "SystemUnderTestController",  # engine/controllers.py system_under_test_note: which controller, who drives
    "CarlaCollision",             # backends/carla_backend.py: the simulator's collision sensor fired
    "StoryboardComplete",         # engine/run.py end_reason_of: the storyboard completed with no stop trigger
})
"""Engine record kinds that are notes to the user, not a trace of what the storyboard did."""
NOT_APPLIED = "not applied"
"""A record whose detail begins so says an action of the scenario was skipped (engine/actions_lateral.py)."""

CATEGORIES = {
    "action_not_applied": "with actions not applied",
    "system_under_test_controller": "with a system-under-test controller",
    "carla_collision": "with a collision reported by CARLA",
    "carla_criteria": "with CARLA evaluation criteria left to the metrics",
    "storyboard_complete": "with a storyboard complete and no stop trigger",
}
"""Note category -> how the suite summary counts scenarios with it, in the order it lists them.

A CARLA criterion's record reads "not applied: …" like a skipped action, but nothing of the
storyboard was skipped: ScenarioRunner's criteria are tests, which a run with a stack scores as
requirements (metrics/xosc_criteria.py), so they count apart.  An Action without content is
an action not applied."""
_CATEGORY_OF_KIND = {"SystemUnderTestController": "system_under_test_controller",
                     "CarlaCollision": "carla_collision",
                     "CarlaCriterion": "carla_criteria",
                     "StoryboardComplete": "storyboard_complete"}


def is_note(event: Any) -> bool:
    """Whether one ``MetricEvent`` is a note: a ``NOTE_KINDS`` record or an action not applied
    (a storyboard transition named "not applied…" is not: its detail is an element's name)."""
    return event.kind in NOTE_KINDS or (str(event.detail or "").startswith(NOT_APPLIED)
                                        and not event.kind.endswith("Transition"))


def result_notes(result: Any) -> list[Any]:
    """The events of ``result`` (``ScenarioResult``) a user should read beside the storyboard's:
    ``NOTE_KINDS`` and every record of an action not applied, in time order."""
    notes = [e for e in result.events if is_note(e)]
    return sorted(notes, key=lambda e: e.time)  # the storyboard's log comes before the engine's records


def note_category(event: Any) -> str:
    """The ``CATEGORIES`` key of one note."""
    return _CATEGORY_OF_KIND.get(event.kind, "action_not_applied")


def format_note(event: Any) -> str:
    """One note as the summary prints it: time, kind, the entities it concerns, what it says."""
    return f"  {event.time:8.3f} s  {note_text(event)}"


def note_text(event: Any) -> str:
    """One note without its time: kind, entities, what it says (how ``compare`` matches notes)."""
    who = f" {', '.join(event.entities)}" if event.entities else ""
    return f"{event.kind}{who}: {event.detail}"


def note_dict(event: Any) -> dict[str, Any]:
    """One note as plain data (the JSON and HTML reports): time, kind, entities, detail, category."""
    return {"time": event.time, "kind": event.kind, "entities": list(event.entities), "detail": event.detail,
            "category": note_category(event)}


def notes_summary(results: Iterable[Any]) -> dict[str, Any]:
    """How many scenarios have notes, in all and per category (a scenario counts once per
    category it has a note of), and how many notes there are."""
    with_notes = 0
    total = 0
    by_category: Counter = Counter()
    for r in results:
        notes = result_notes(r)
        if notes:
            with_notes += 1
            total += len(notes)
            by_category.update({note_category(e) for e in notes})
    ordered = [c for c in CATEGORIES if by_category[c]] + sorted(set(by_category) - set(CATEGORIES))
    return {"scenarios": with_notes, "notes": total, "by_category": {c: by_category[c] for c in ordered}}


def summary_phrase(summary: dict[str, Any]) -> str:
    """``notes_summary``'s categories in words: "12 scenarios with actions not applied, 3 with a
    system-under-test controller" (the first count names its unit, the others share it)."""
    parts = []
    for k, (category, n) in enumerate(summary["by_category"].items()):
        unit = ("scenario " if n == 1 else "scenarios ") if k == 0 else ""
        parts.append(f"{n} {unit}{CATEGORIES.get(category, 'with ' + category)}")
    return ", ".join(parts)


_SOURCE_DIRECTORY = re.compile(r"\((?:[^()]*[/\\])([^()/\\]+:\d+)\)")
"""The directory part of a "(/path/to/file.xosc:12)" source reference in a note's detail."""


def _compared_text(event: Any) -> str:
    """``note_text`` with source references cut to file name and line: two checkouts of one
    library (version vs version) name the same controller definition from different directories."""
    return _SOURCE_DIRECTORY.sub(r"(\1)", note_text(event))


def notes_difference(a: Sequence[Any], b: Sequence[Any]) -> tuple[list[str], list[str]]:
    """The notes of ``a`` not in ``b`` and of ``b`` not in ``a`` (``note_text``, counted with
    multiplicity, times ignored: a stack that reaches a trigger a step later has the same note;
    a source file is named without its directory)."""
    ca, cb = Counter(map(_compared_text, a)), Counter(map(_compared_text, b))
    return sorted((ca - cb).elements()), sorted((cb - ca).elements())
