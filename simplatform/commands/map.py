"""``simplatform map``: look into an OpenDRIVE map and export its road mesh.

``simplatform map info FILE.xodr [--json]`` prints roads, lanes, junctions,
total length, extent, geometry kinds, signals, objects and the problems found
(parser warnings plus ``opendrive.summary`` checks).
``simplatform map export FILE.xodr --mesh OUT.ply|OUT.obj [--step M]`` writes
the road mesh.  A bad file exits 2 with the located error (``cli.main``).
"""

from __future__ import annotations

import argparse
import json


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("map", help="inspect an OpenDRIVE map or export its road mesh")
    sub = p.add_subparsers(dest="map_command", metavar="ACTION", required=True,
                           parser_class=type(p))
    info = sub.add_parser("info", help="summarise a map: roads, lanes, junctions, length, problems")
    info.add_argument("file", metavar="FILE.xodr")
    info.add_argument("--json", action="store_true", help="print the summary as JSON")
    info.set_defaults(handler=run_info)
    export = sub.add_parser("export", help="write the road mesh (.ply or .obj)")
    export.add_argument("file", metavar="FILE.xodr")
    export.add_argument("--mesh", required=True, metavar="OUT", help="output mesh path, .ply or .obj")
    export.add_argument("--step", type=float, default=1.0, help="sampling step along s in metres (default 1)")
    export.set_defaults(handler=run_export)


def _load(path: str):
    from simplatform.opendrive import load_opendrive

    return load_opendrive(path)


def run_info(args: argparse.Namespace) -> int:
    from simplatform.opendrive.summary import summarise

    summary = summarise(_load(args.file))
    if args.json:
        print(json.dumps(summary.as_dict(), indent=2))
        return 0
    box = summary.bounding_box
    lines = [
        f"map       {summary.source}",
        f"name      {summary.name or '-'} (OpenDRIVE {summary.revision})",
        f"roads     {summary.roads} ({summary.connecting_roads} connecting roads in junctions)",
        f"lanes     {summary.lanes} in {summary.lane_sections} lane sections: "
        + ", ".join(f"{k} {v}" for k, v in summary.lanes_by_type.items()),
        f"junctions {summary.junctions}"
        + (" (" + ", ".join(f"{k} {v}" for k, v in summary.junctions_by_type.items()) + ")"
           if summary.junctions else ""),
        f"length    {summary.total_length_m:.1f} m ({summary.connecting_length_m:.1f} m in junctions)",
        f"extent    x {box['west']:.1f} .. {box['east']:.1f} m, y {box['south']:.1f} .. {box['north']:.1f} m",
        "geometry  " + ", ".join(f"{k} {v}" for k, v in summary.geometry_counts.items()),
        f"signals   {summary.signals} ({summary.dynamic_signals} dynamic, "
        f"{summary.signal_references} references, {summary.controllers} controllers)",
        f"objects   {summary.objects} ({summary.placed_objects} placed with repeats)",
        f"problems  {len(summary.problems)}",
    ]
    lines += [f"  - {p}" for p in summary.problems]
    print("\n".join(lines))
    return 0


def run_export(args: argparse.Namespace) -> int:
    from simplatform.errors import ConfigError
    from simplatform.opendrive.mesh import write_road_mesh

    if not args.mesh.lower().endswith((".ply", ".obj")):
        raise ConfigError(f"--mesh {args.mesh}: the mesh file must end in .ply or .obj")
    if args.step <= 0:
        raise ConfigError(f"--step {args.step:g}: the sampling step must be positive")
    road_mesh = write_road_mesh(_load(args.file), args.mesh, step=args.step)
    print(f"wrote {args.mesh}: {len(road_mesh.mesh.vertices)} vertices, "
          f"{len(road_mesh.triangle_material)} triangles")
    return 0
