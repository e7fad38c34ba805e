"""The suite runner: suites, executors (sequential, local pool, Ray), results store, resume, reports.

Public API::

    from simplatform.runner import (SuiteEntry, load_directory, load_index, select, load_launch,
                                    RunSettings, run_suite, resume_run, ResultsStore, derive_seed)

    entries = select(load_index("scenarios/index.yaml").entries, families=["cut_in"])
    outcome = run_suite(entries, RunSettings(seed=1, jobs=2), "out/runs/r1")   # reference stack
    outcome.exit_code, outcome.reports["html"]
"""

from simplatform.runner.launch import Launch, load_launch
from simplatform.runner.session import RunOutcome, resume_run, run_suite
from simplatform.runner.settings import RunSettings
from simplatform.runner.store import ResultsStore
from simplatform.runner.suite import LibraryIndex, SuiteEntry, default_library_index, load_directory, load_index, select
from simplatform.runner.task import ScenarioTask, derive_seed, execute_task

__all__ = ["Launch", "LibraryIndex", "ResultsStore", "RunOutcome", "RunSettings", "ScenarioTask",
           "SuiteEntry", "default_library_index", "derive_seed", "execute_task", "load_directory", "load_index",
           "load_launch", "resume_run", "run_suite", "select"]
