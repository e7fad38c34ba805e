"""Parameter value distributions: expand a ``ParameterValueDistribution`` file to concrete runs.

ASAM OpenSCENARIO XML 1.1+ section 9.4 ("Parameter variation"): a
distribution file names a scenario (``ScenarioFile``) and either

* ``Deterministic``: single-parameter distributions (a ``DistributionSet`` of
  values, or a ``DistributionRange`` from lower to upper limit in
  ``stepWidth`` steps) and multi-parameter ones (``ValueSetDistribution``:
  sets of assignments that belong together).  The runs are the Cartesian
  product of all of them, in document order;
* ``Stochastic``: ``numberOfTestRuns`` draws of every
  ``StochasticDistribution`` (probability set, normal, log-normal, uniform,
  Poisson, histogram), seeded by ``randomSeed`` if the file gives one, else
  by the caller's seed, through one ``numpy.random.Generator``.  An optional
  ``Range`` truncates a normal, log-normal or Poisson draw (rejection
  sampling: the draw is conditioned on the range).

Log-normal: ``expectedValue`` and ``variance`` are read as the mean and
variance of the log-normal variable itself (the class reference describes
them as the distribution's, not the underlying normal's); the underlying
normal then has sigma^2 = ln(1 + var/mean^2) and mu = ln(mean) - sigma^2/2.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from simplatform.errors import ScenarioError
from simplatform.openscenario.binder import BindContext, bind
from simplatform.openscenario.checks import check_values
from simplatform.openscenario.model.base import REGISTRY, OscElement
from simplatform.openscenario.values import Scope
from simplatform.openscenario.xml import parse_file, read_document, read_header

_MAX_RUNS = 1_000_000
_REJECTION_ROUNDS = 200


@dataclass(frozen=True)
class ConcreteScenario:
    """One run of a distribution: the scenario file and the parameter values to load it with."""

    parameters: Mapping[str, Any]
    scenario_path: Path
    index: int = 0
    source: str = field(default="", compare=False)

    def load(self) -> Any:
        from simplatform.openscenario.loader import load_scenario

        return load_scenario(self.scenario_path, self.parameters)


def _err(e: OscElement, cause: str) -> ScenarioError:
    return ScenarioError(cause, file=e.source.file, line=e.source.line, element=e.source.element)


def _range_values(d: Any) -> list[float]:
    lo, hi, step = d.range.lower_limit, d.range.upper_limit, d.step_width
    count = math.floor((hi - lo) / step + 1e-9) + 1
    if count > _MAX_RUNS:
        raise _err(d, f"range {lo}..{hi} in steps of {step} gives {count} values (limit {_MAX_RUNS})")
    return [lo + k * step for k in range(count)]


def _deterministic(det: Any) -> list[dict[str, Any]]:
    axes: list[list[dict[str, Any]]] = []
    for d in det.deterministic_single_parameter_distributions:
        if d.distribution_set is not None:
            values: list[Any] = [e.value for e in d.distribution_set.elements]
        elif d.distribution_range is not None:
            values = _range_values(d.distribution_range)
        else:
            u = d.user_defined_distribution
            raise _err(d, f"user-defined distribution of type '{u.type if u else '?'}' cannot be expanded")
        axes.append([{d.parameter_name: v} for v in values])
    for m in det.deterministic_multi_parameter_distributions:
        sets = []
        for value_set in m.value_set_distribution.parameter_value_sets:
            sets.append({a.parameter_ref: a.value for a in value_set.parameter_assignments})
        axes.append(sets)
    total = math.prod(len(a) for a in axes) if axes else 0
    if total > _MAX_RUNS:
        raise _err(det, f"the deterministic distribution expands to {total} runs (limit {_MAX_RUNS})")
    runs = []
    for combo in itertools.product(*axes):
        run: dict[str, Any] = {}
        for part in combo:
            run.update(part)
        runs.append(run)
    return runs


def _truncated(draw, n: int, rng_range: Any, e: OscElement, what: str) -> np.ndarray:
    """``n`` draws of ``draw(k)`` conditioned on ``rng_range`` (rejection sampling)."""
    if rng_range is None:
        return draw(n)
    lo, hi = rng_range.lower_limit, rng_range.upper_limit
    out = np.empty(0)
    for _ in range(_REJECTION_ROUNDS):
        batch = draw(max(2 * (n - out.size), 64))
        out = np.concatenate([out, batch[(batch >= lo) & (batch <= hi)]])
        if out.size >= n:
            return out[:n]
    raise _err(e, f"the range [{lo}, {hi}] has (almost) no probability under this {what}")


def _sample(d: Any, n: int, rng: np.random.Generator) -> list[Any]:
    if d.probability_distribution_set is not None:
        elements = d.probability_distribution_set.elements
        w = np.array([e.weight for e in elements], dtype=float)
        if w.sum() <= 0:
            raise _err(d.probability_distribution_set, "the weights of the probability set sum to 0")
        idx = rng.choice(len(elements), size=n, p=w / w.sum())
        return [elements[i].value for i in idx]
    if d.normal_distribution is not None:
        nd = d.normal_distribution
        std = math.sqrt(nd.variance)
        return _truncated(lambda k: rng.normal(nd.expected_value, std, k), n, nd.range, nd,
                          "normal distribution").tolist()
    if d.log_normal_distribution is not None:
        ld = d.log_normal_distribution
        sigma2 = math.log1p(ld.variance / ld.expected_value**2)
        mu = math.log(ld.expected_value) - sigma2 / 2
        return _truncated(lambda k: rng.lognormal(mu, math.sqrt(sigma2), k), n, ld.range, ld,
                          "log-normal distribution").tolist()
    if d.uniform_distribution is not None:
        r = d.uniform_distribution.range
        return rng.uniform(r.lower_limit, r.upper_limit, n).tolist()
    if d.poisson_distribution is not None:
        pd = d.poisson_distribution
        vals = _truncated(lambda k: rng.poisson(pd.expected_value, k).astype(float), n, pd.range, pd,
                          "Poisson distribution")
        return [int(v) for v in vals]
    if d.histogram is not None:
        bins = d.histogram.bins
        w = np.array([b.weight for b in bins], dtype=float)
        if w.sum() <= 0:
            raise _err(d.histogram, "the weights of the histogram bins sum to 0")
        idx = rng.choice(len(bins), size=n, p=w / w.sum())
        lo = np.array([bins[i].range.lower_limit for i in idx])
        hi = np.array([bins[i].range.upper_limit for i in idx])
        return (lo + (hi - lo) * rng.random(n)).tolist()
    u = d.user_defined_distribution
    raise _err(d, f"user-defined distribution of type '{u.type if u else '?'}' cannot be sampled")


def _seed_of(random_seed: float | None, seed: int) -> int:
    if random_seed is None:
        return int(seed)
    if float(random_seed).is_integer():
        return int(random_seed)
    return int(np.float64(random_seed).view(np.uint64))  # a non-integral seed: use its bits


def _stochastic(st: Any, seed: int) -> list[dict[str, Any]]:
    n = st.number_of_test_runs
    if n < 1 or n > _MAX_RUNS:
        raise _err(st, f"numberOfTestRuns = {n} must be within 1..{_MAX_RUNS}")
    rng = np.random.default_rng(_seed_of(st.random_seed, seed))
    columns = [(d.parameter_name, _sample(d, n, rng)) for d in st.stochastic_distributions]
    return [{name: col[i] for name, col in columns} for i in range(n)]


def _declared_names(scenario: Path) -> set[str] | None:
    tree = parse_file(scenario)
    read_header(tree, str(scenario))
    decls = tree.getroot().find("ParameterDeclarations")
    if decls is None:
        return set()
    return {d.get("name") for d in decls.findall("ParameterDeclaration")}


def expand_distribution(path: str | Path, seed: int, errors: list[ScenarioError]) -> list[ConcreteScenario]:
    """Expand ``path`` collecting errors (for ``validate``); see ``load_distribution``."""
    path = Path(path)
    file = str(path)
    document = read_document(path, errors)
    if document is None:
        return []
    tree, header = document
    if header.kind != "distribution":
        errors.append(ScenarioError.at(tree.getroot(), "this file holds no <ParameterValueDistribution>",
                                       file=file))
        return []
    ctx = BindContext(file=file)
    doc = bind(tree.getroot(), REGISTRY["OpenScenario"], Scope(), ctx)
    errors.extend(ctx.errors)
    if ctx.errors:
        return []
    check_values(doc.walk(), errors)
    if errors:
        return []
    pvd = doc.parameter_value_distribution
    scenario = (path.parent / pvd.scenario_file.filepath).resolve()
    try:
        declared = _declared_names(scenario)
    except ScenarioError as exc:
        errors.append(_err(pvd.scenario_file, f"scenario file '{pvd.scenario_file.filepath}': {exc.cause}"))
        return []
    try:
        if pvd.deterministic is not None:
            runs = _deterministic(pvd.deterministic)
        elif pvd.stochastic is not None:
            runs = _stochastic(pvd.stochastic, seed)
        else:
            errors.append(_err(pvd, "needs a <Deterministic> or a <Stochastic> distribution"))
            return []
    except ScenarioError as exc:
        errors.append(exc)
        return []
    for name in sorted({k for run in runs for k in run} - (declared or set())):
        # naming the first element that assigns it (ASAM's EndOfTrafficJamParameterSet.xosc
        # assigns a Road_SceneGraph its 1.3 scenario no longer declares)
        where = next((e for e in doc.walk() if name in (getattr(e, "parameter_ref", None),
                                                        getattr(e, "parameter_name", None))), None)
        at = "" if where is None else f" (assigned at line {where.source.line} <{where.source.element}>)"
        errors.append(_err(pvd, f"parameter '{name}' is not declared in the scenario "
                                f"'{pvd.scenario_file.filepath}'{at}"))
    if errors:
        return []
    return [ConcreteScenario(run, scenario, i, file) for i, run in enumerate(runs)]


def load_distribution(path: str | Path, seed: int = 0) -> list[ConcreteScenario]:
    """The concrete runs of the distribution file ``path``.

    Deterministic distributions enumerate; stochastic ones draw with the
    file's ``randomSeed`` or else ``seed``, so the same seed always gives
    the same list.  Raises the first ScenarioError found.
    """
    errors: list[ScenarioError] = []
    runs = expand_distribution(path, seed, errors)
    if errors:
        raise errors[0]
    return runs
