"""``simplatform sensors render``: one frame of every sensor of a rig, as files.

With a scenario, the engine plays it to ``--at`` seconds on its native
backend and the rig renders that snapshot on the scenario's road mesh; with
``--snapshot`` a saved world state (``sensors.snapshot_io`` JSON) is rendered
instead, on ``--map`` if given.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from simplatform.errors import ConfigError


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("sensors", help="sensor rigs: render a frame of every sensor")
    sub = p.add_subparsers(dest="sensors_command", metavar="ACTION")
    r = sub.add_parser(
        "render", help="write one frame of every sensor of a rig (lidar .pcd, radar .json, camera PNGs, ...)",
        description="Play SCENARIO.xosc to --at seconds and write one frame of every sensor of --rig into --out; "
                    "or render a saved --snapshot JSON (optionally on --map).")
    r.add_argument("scenario", nargs="?", type=Path, help="OpenSCENARIO file to play (omit with --snapshot)")
    r.add_argument("--rig", required=True, type=Path, help="sensor rig YAML (see launch/rigs/)")
    r.add_argument("--at", type=float, default=0.0, help="scenario time in seconds (default 0)")
    r.add_argument("--out", required=True, type=Path, help="output directory")
    r.add_argument("--snapshot", type=Path, help="render this WorldSnapshot JSON instead of playing a scenario")
    r.add_argument("--map", type=Path, help="OpenDRIVE map for --snapshot")
    r.add_argument("--seed", type=int, default=0, help="run seed for the sensors' noise (default 0)")
    r.add_argument("--dt", type=float, default=0.01, help="engine step in seconds (default 0.01)")
    r.set_defaults(handler=render)
    p.set_defaults(handler=lambda args: (p.print_help(), 2)[1])


def _road_mesh(net):
    if net is None:
        return None, None
    from sensors.gnss import GeoReference
    from simplatform.opendrive.mesh import build_road_mesh

    return build_road_mesh(net), GeoReference.from_header(net.header)


def _play(scenario_path: Path, at: float, dt: float):
    from simplatform.engine.run import RunConfig, play_to

    return play_to(scenario_path, at, RunConfig(dt=dt))


def render(args: argparse.Namespace) -> int:
    from sensors.render import render_rig
    from sensors.rig import load_rig

    rig = load_rig(args.rig)
    if args.snapshot is not None:
        from sensors.snapshot_io import snapshot_from_json

        snapshot = snapshot_from_json(args.snapshot)
        net = None
        if args.map is not None:
            from simplatform.opendrive import load_opendrive

            net = load_opendrive(args.map)
        scenario_id = args.snapshot.stem
    elif args.scenario is not None:
        if args.at < 0:
            raise ConfigError(f"--at must be ≥ 0, got {args.at}")
        snapshot, net = _play(args.scenario, args.at, args.dt)
        scenario_id = args.scenario.stem
    else:
        raise ConfigError("give a SCENARIO.xosc to play or a --snapshot JSON to render")
    mesh, geo = _road_mesh(net)
    written = render_rig(snapshot, mesh, rig.with_seed(args.seed, scenario_id), args.out, geo_reference=geo)
    for name, paths in written.items():
        for path in paths:
            print(f"{name}: {path}")
    return 0
