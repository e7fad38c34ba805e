"""Where a suite run's time went: wall and CPU per phase, and how busy the workers were.

Why: a pool run's wall time exceeds its scenarios' CPU divided over the workers by whatever is
serial or idle — the set-up before the first scenario, workers waiting for work at the end, the
reports — and on a machine shared with other users wall time alone cannot tell these from
the machine being busy.  CPU time (``time.process_time``: this process, all its threads) can,
so each phase records both, and the pool adds the CPU its workers spent inside the scenarios.
``bench/suite_bench.py`` prints ``RunTimings.lines()`` after a pool run.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator


@dataclass
class RunTimings:
    """Phases in the order they ran: name -> (wall s, CPU s of the runner's own process)."""

    phases: dict[str, tuple[float, float]] = field(default_factory=dict)
    scenario_cpu: float | None = None
    """CPU seconds spent inside the scenarios (pool: in the workers; sequential: in this process;
    None when the executor cannot tell, e.g. Ray)."""
    jobs: int = 1

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            w0, c0 = self.phases.get(name, (0.0, 0.0))
            self.phases[name] = (w0 + time.perf_counter() - wall, c0 + time.process_time() - cpu)

    def wall(self, name: str) -> float:
        return self.phases.get(name, (0.0, 0.0))[0]

    @property
    def total_wall(self) -> float:
        return sum(w for w, _ in self.phases.values())

    def busy(self) -> float | None:
        """Share of the scenario phase's ``jobs × wall`` the workers spent computing scenarios."""
        wall = self.wall("scenarios")
        if self.scenario_cpu is None or wall <= 0:
            return None
        return self.scenario_cpu / (self.jobs * wall)

    def lines(self) -> list[str]:
        out = [f"  {name:16s} wall {w:8.2f} s   runner CPU {c:7.2f} s" for name, (w, c) in self.phases.items()]
        if self.scenario_cpu is not None:
            busy = self.busy()
            out.append(f"  scenarios' CPU {self.scenario_cpu:8.1f} s in {self.jobs} worker(s)"
                       + (f": busy {100 * busy:5.1f} % of jobs × scenario wall" if busy is not None else ""))
        return out
