"""The results store of one suite run: an embedded SQLite database in the run directory.

Why SQLite in WAL mode with one transaction per finished scenario: a run may
be killed at any instant (``kill -9``, a CI job timeout, a power cut); a
committed transaction survives that, an uncommitted one vanishes whole, so
the store never holds half a result and ``--resume`` loses at most the
scenarios that were in flight (SQLite "Atomic Commit", https://sqlite.org/atomiccommit.html;
WAL, https://sqlite.org/wal.html).  ``synchronous=NORMAL`` in WAL mode keeps
commits durable against process death (not against OS crash, which FULL
would add at a cost per commit).

Tables: ``runs`` (one row: settings, suite, versions, start/finish times,
settings digest) and ``results`` (one row per scenario: the
``ScenarioResult.to_dict()`` JSON and the config hash it was produced under).
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from simplatform.errors import ConfigError
from simplatform.results import ScenarioResult

STORE_NAME = "results.sqlite"
SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    settings TEXT NOT NULL,
    settings_digest TEXT NOT NULL,
    suite TEXT NOT NULL,
    versions TEXT NOT NULL,
    started TEXT NOT NULL,
    finished TEXT
);
CREATE TABLE IF NOT EXISTS results (
    scenario_id TEXT PRIMARY KEY,
    config_hash TEXT NOT NULL,
    family TEXT NOT NULL,
    verdict TEXT NOT NULL,
    wall_time REAL NOT NULL,
    finished TEXT NOT NULL,
    result TEXT NOT NULL
);
"""


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class ResultsStore:
    """Open (creating when asked) the store of a run directory."""

    def __init__(self, run_dir: str | Path, *, create: bool = False) -> None:
        self.run_dir = Path(run_dir)
        self.path = self.run_dir / STORE_NAME
        if not create and not self.path.is_file():
            raise ConfigError(f"not a run directory (no {STORE_NAME})", file=self.run_dir)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        try:
            self.db = sqlite3.connect(self.path, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.executescript(SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise ConfigError(f"cannot open the results store: {exc}", file=self.path) from None

    # ------------------------------------------------------------------ run
    def meta(self) -> dict[str, Any] | None:
        row = self.db.execute("SELECT settings, settings_digest, suite, versions, started, finished FROM runs").fetchone()
        if row is None:
            return None
        return {"settings": json.loads(row[0]), "settings_digest": row[1], "suite": json.loads(row[2]),
                "versions": json.loads(row[3]), "started": row[4], "finished": row[5]}

    def begin(self, settings: dict[str, Any], digest: str, suite: list[dict[str, Any]],
              versions: dict[str, str]) -> None:
        self.db.execute("BEGIN IMMEDIATE")
        self.db.execute("INSERT INTO runs (id, settings, settings_digest, suite, versions, started) "
                        "VALUES (1, ?, ?, ?, ?, ?)",
                        (json.dumps(settings), digest, json.dumps(suite), json.dumps(versions), now_iso()))
        self.db.execute("COMMIT")

    def mark_resumed(self) -> None:
        self.db.execute("UPDATE runs SET finished = NULL")

    def finish(self) -> None:
        self.db.execute("UPDATE runs SET finished = ?", (now_iso(),))

    # -------------------------------------------------------------- results
    def put(self, result: dict[str, Any], config_hash: str, family: str) -> None:
        """Store one finished scenario: one transaction, committed before this returns."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.execute(
                "INSERT OR REPLACE INTO results (scenario_id, config_hash, family, verdict, wall_time, finished, result)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (result["scenario_id"], config_hash, family, result["verdict"], float(result["wall_time"]),
                 now_iso(), json.dumps(result)))
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def done_hashes(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT scenario_id, config_hash FROM results").fetchall())

    def results(self) -> list[ScenarioResult]:
        """Every stored result, in the order of the run's suite (stored order for ids not in it)."""
        rows = {r[0]: r[1] for r in self.db.execute("SELECT scenario_id, result FROM results")}
        meta = self.meta()
        order = [e["scenario_id"] for e in meta["suite"]] if meta else []
        ids = [i for i in order if i in rows] + sorted(set(rows) - set(order))
        return [ScenarioResult.from_dict(json.loads(rows[i])) for i in ids]

    def close(self) -> None:
        self.db.close()
