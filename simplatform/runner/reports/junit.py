"""JUnit XML: one ``testsuite`` per family, one ``testcase`` per scenario.

The de-facto schema CI systems read (Jenkins' ``junit`` plugin, GitLab, GitHub
Actions reporters; the XSD is Ant's / Jenkins' ``junit-10.xsd``): a
``failure`` element for a scenario whose verdict is fail, its message the
failed requirement ids and its text one line of evidence per failed
requirement; an ``error`` element for a scenario that could not be run.

A scenario's notes (``simplatform.notes``: an action not applied, a controller taken as the
system under test, a collision CARLA reported) close its ``system-out``, one line each under a
``notes (N)`` header: the text Jenkins shows as the test case's standard output and GitLab as
the "System output" of a failed one.  ``system-out`` rather than test-case ``properties``,
which the Ant schema does not allow and most consumers do not show.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path
from typing import Any, Sequence

from simplatform.notes import format_note, result_notes
from simplatform.results import RequirementVerdict, ScenarioResult
from simplatform.runner.suite import SuiteEntry


def evidence(v: RequirementVerdict) -> str:
    """One line: which requirement, what was measured, against what, when and with whom."""
    parts = [f"{v.requirement_id} [{v.check}]: {v.message or v.verdict.value}"]
    if v.time is not None:
        parts.append(f"at t={v.time:.2f} s")
    if v.entities:
        parts.append("with " + ", ".join(v.entities))
    return " ".join(parts)


def notes_text(r: ScenarioResult) -> str:
    """The notes block of a test case's ``system-out`` ("" when the scenario has none)."""
    notes = result_notes(r)
    if not notes:
        return ""
    return f"notes ({len(notes)})\n" + "".join(
        f"{format_note(n)}\n" for n in notes)


def write_junit(path: Path, results: Sequence[ScenarioResult], meta: dict[str, Any], entries: Sequence[SuiteEntry]) -> None:
    families = {e.scenario_id: e.family or "suite" for e in entries}
    groups: dict[str, list[ScenarioResult]] = defaultdict(list)
    for r in results:
        groups[families.get(r.scenario_id, "suite")].append(r)
    root = ET.Element("testsuites", name=meta["settings"].get("name") or "simplatform",
                      tests=str(len(results)), failures=str(sum(r.verdict.value == "fail" for r in results)),
                      errors=str(sum(r.verdict.value == "error" for r in results)),
                      time=f"{sum(r.wall_time for r in results):.3f}")
    for family in sorted(groups):
        rs = groups[family]
        suite = ET.SubElement(root, "testsuite", name=family, tests=str(len(rs)),
                              failures=str(sum(r.verdict.value == "fail" for r in rs)),
                              errors=str(sum(r.verdict.value == "error" for r in rs)), skipped="0",
                              time=f"{sum(r.wall_time for r in rs):.3f}", timestamp=meta.get("started") or "")
        props = ET.SubElement(suite, "properties")
        for key in ("seed", "dt", "max_time", "executor"):
            ET.SubElement(props, "property", name=key, value=str(meta["settings"].get(key)))
        if meta["settings"].get("ego"):  # --ego / the launch ego: key (else each scenario's by the engine's rule)
            ET.SubElement(props, "property", name="ego", value=str(meta["settings"]["ego"]))
        for r in rs:
            case = ET.SubElement(suite, "testcase", name=r.scenario_id, classname=f"simplatform.{family}",
                                 time=f"{r.wall_time:.3f}")
            if r.verdict.value == "fail":
                failed = [v for v in r.requirements if v.verdict.value != "pass"]
                el = ET.SubElement(case, "failure", type="RequirementFailed",
                                   message="failed: " + ", ".join(v.requirement_id for v in failed))
                el.text = "\n".join(evidence(v) for v in failed)
            elif r.verdict.value == "error":
                message = (r.error or "error").splitlines()[0] if r.error else ", ".join(
                    v.requirement_id for v in r.requirements if v.verdict.value == "error")
                el = ET.SubElement(case, "error", type="ScenarioError", message=message)
                el.text = r.error or "\n".join(evidence(v) for v in r.requirements if v.verdict.value == "error")
            out = ET.SubElement(case, "system-out")
            out.text = (f"end_reason={r.end_reason} sim_time={r.sim_time:.3f} steps={r.steps} seed={r.seed}\n"
                        + "".join(f"artifact {k}={v}\n" for k, v in r.artifacts.items()) + notes_text(r))
    ET.indent(root)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
