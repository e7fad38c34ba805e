"""Requirement sets per logical scenario, written as YAML into ``scenarios/requirements/``.

Format and metric names: ``metrics.requirements`` (``"<metric> <op> <value> [unit]"``);
every set here is loaded back with ``metrics.load_requirement_set`` by the tests.
Thresholds cite their source:

* Euro NCAP AEB C2C / VRU protocols (v4.3 / v4.5): full points for avoidance;
  a reduced impact speed earns partial points, so the mitigation line is
  drawn at an impact speed reduced to 20 km/h or less;
* UN R157 §5.2.5: ALKS shall avoid a collision with a lead vehicle, a cutting-in
  vehicle (unless §5.2.5.2 deems it unavoidable) and an obstacle revealed by a cut-out;
* Euro NCAP LSS protocol (ELK): no road-edge crossing beyond the line, no
  collision with the oncoming/overtaking target;
* cooperative applications: ETSI TR 102 638 (Basic Set of Applications) latency
  and SAE J2945/1-class warning timing: the ego reacts within 1.5 s of the first
  delivered warning (human brake reaction ≈ 1.5 s, Green 2000);
* urban and continuous: StVO/Vienna-Convention rules — no red-light crossing,
  no sidewalk driving, goal reached; comfort bounds from nuPlan (4 m/s² decel).
"""

from __future__ import annotations

from pathlib import Path

import yaml

REQUIREMENT_SETS: dict[str, list[dict]] = {
    "aeb_car_to_car": [
        {"id": "AEB-1", "text": "Avoid the collision with the vehicle target (Euro NCAP AEB C2C full score)",
         "check": "collisions_vehicle == 0"},
        {"id": "AEB-2", "text": "If not avoided, impact at 20 km/h or less (mitigation)",
         "check": "collision_speed_max <= 20 km/h"},
    ],
    "aeb_vru": [
        {"id": "VRU-1", "text": "Avoid the collision with the pedestrian/cyclist/motorcyclist target",
         "check": "collisions == 0"},
        {"id": "VRU-2", "text": "If not avoided, impact at 20 km/h or less (mitigation)",
         "check": "collision_speed_max <= 20 km/h"},
    ],
    "lane_support": [
        {"id": "LSS-1", "text": "Do not leave the drivable lanes (ELK road edge)", "check": "offroad_events == 0"},
        {"id": "LSS-2", "text": "No collision with the oncoming or overtaking target (ELK)", "check": "collisions == 0"},
        {"id": "LSS-3", "text": "Do not drive into the opposite lane (ELK oncoming)", "check": "wrong_way_time <= 0.5 s"},
    ],
    "lane_keeping": [
        {"id": "LKA-1", "text": "Do not cross a lane line unintentionally (Euro NCAP LKA)", "check": "lane_departures == 0"},
        {"id": "LKA-2", "text": "Stay on the carriageway", "check": "offroad_events == 0"},
    ],
    "alks": [
        {"id": "ALKS-1", "text": "No collision (UN R157 §5.2.5)", "check": "collisions == 0"},
        {"id": "ALKS-2", "text": "Stay on the carriageway (UN R157 §5.2.4)", "check": "offroad_events == 0"},
        {"id": "ALKS-3", "text": "Keep a time to collision of at least 1.0 s", "check": "ttc_min >= 1.0 s"},
    ],
    "alks_unavoidable": [
        {"id": "ALKS-U1", "text": "Cut-in deemed unavoidable (UN R157 §5.2.5.2): impact at 15 km/h or less",
         "check": "collision_speed_max <= 15 km/h"},
        {"id": "ALKS-2", "text": "Stay on the carriageway (UN R157 §5.2.4)", "check": "offroad_events == 0"},
    ],
    "highway_function": [
        {"id": "HWY-1", "text": "No collision", "check": "collisions == 0"},
        {"id": "HWY-2", "text": "Stay on the carriageway", "check": "offroad_events == 0"},
        {"id": "HWY-3", "text": "Do not exceed the posted limit by more than 5 km/h", "check": "speed_limit_violation_max <= 5 km/h"},
        {"id": "HWY-4", "text": "Keep at least 0.9 s headway (half the '2-second rule', StVO §4: half the tachometer)",
         "check": "thw_min >= 0.9 s"},
    ],
    "curve_grip": [
        {"id": "CRV-1", "text": "Stay in lane through the curve", "check": "offroad_events == 0"},
        {"id": "CRV-2", "text": "Lateral acceleration within the grip margin (≤ 0.8 of dry μg)", "check": "lat_accel_max <= 7.8 m/s^2"},
        {"id": "CRV-3", "text": "Do not exceed the posted limit by more than 5 km/h", "check": "speed_limit_violation_max <= 5 km/h"},
    ],
    "continuous_highway": [
        {"id": "CNT-1", "text": "No collision over the whole route", "check": "collisions == 0"},
        {"id": "CNT-2", "text": "Reach the end of the route (the exit)", "check": "goal_reached == 1"},
        {"id": "CNT-3", "text": "Stay on the carriageway", "check": "offroad_events == 0"},
        {"id": "CNT-4", "text": "Respect the posted limits (+5 km/h)", "check": "speed_limit_violation_max <= 5 km/h"},
        {"id": "CNT-5", "text": "Never stand still without a reason for more than the blocked limit", "check": "blocked_events == 0"},
    ],
    "continuous_urban": [
        {"id": "CNU-1", "text": "No collision over the whole route", "check": "collisions == 0"},
        {"id": "CNU-2", "text": "Reach the end of the route", "check": "goal_reached == 1"},
        {"id": "CNU-3", "text": "No red-light violation (StVO §37)", "check": "red_light_violations == 0"},
        {"id": "CNU-4", "text": "No sidewalk driving", "check": "onsidewalk_events == 0"},
        {"id": "CNU-5", "text": "Respect the posted limits (+5 km/h)", "check": "speed_limit_violation_max <= 5 km/h"},
    ],
    "cooperative_warning": [
        {"id": "V2X-1", "text": "React to every delivered warning", "check": "v2x_unanswered == 0"},
        {"id": "V2X-2", "text": "React within 1.5 s of the first delivery", "check": "v2x_reaction_time_max <= 1.5 s"},
        {"id": "V2X-3", "text": "No collision", "check": "collisions == 0"},
    ],
    "cooperative_signal": [
        {"id": "V2X-S1", "text": "No red-light violation with SPaT available", "check": "red_light_violations == 0"},
        {"id": "V2X-S2", "text": "No collision", "check": "collisions == 0"},
        {"id": "V2X-S3", "text": "Comfortable speed advice use: deceleration ≤ 4 m/s² (nuPlan comfort)", "check": "decel_max <= 4 m/s^2"},
    ],
    "cooperative_advisory": [
        {"id": "V2X-A1", "text": "Respect the signed/broadcast limit (+5 km/h)", "check": "speed_limit_violation_max <= 5 km/h"},
        {"id": "V2X-A2", "text": "No collision", "check": "collisions == 0"},
        {"id": "V2X-A3", "text": "React to every delivered warning", "check": "v2x_unanswered == 0"},
    ],
    "urban_junction": [
        {"id": "URB-1", "text": "No collision", "check": "collisions == 0"},
        {"id": "URB-2", "text": "No red-light violation (StVO §37)", "check": "red_light_violations == 0"},
        {"id": "URB-3", "text": "Reach the exit of the junction", "check": "goal_reached == 1"},
        {"id": "URB-4", "text": "Keep a post-encroachment time of at least 1 s", "check": "pet_min >= 1.0 s"},
    ],
    "urban_vru": [
        {"id": "UVR-1", "text": "No collision with a pedestrian or cyclist", "check": "collisions == 0"},
        {"id": "UVR-2", "text": "No sidewalk driving", "check": "onsidewalk_events == 0"},
        {"id": "UVR-3", "text": "Reach the goal", "check": "goal_reached == 1"},
    ],
    "urban_traffic": [
        {"id": "UTR-1", "text": "No collision", "check": "collisions == 0"},
        {"id": "UTR-2", "text": "Reach the goal", "check": "goal_reached == 1"},
        {"id": "UTR-3", "text": "No sidewalk driving", "check": "onsidewalk_events == 0"},
        {"id": "UTR-4", "text": "Respect the posted limits (+5 km/h)", "check": "speed_limit_violation_max <= 5 km/h"},
    ],
}

REQUIREMENTS_DIR = Path(__file__).resolve().parents[1] / "requirements"


def requirement_yaml(name: str) -> str:
    header = f"# Requirement set '{name}' of the simplatform scenario library (generated; see scenarios/library/requirements.py)\n"
    return header + yaml.safe_dump({"requirements": REQUIREMENT_SETS[name]}, sort_keys=False, allow_unicode=True)


def requirement_files() -> dict[str, str]:
    """name -> path relative to ``scenarios/``."""
    return {name: f"requirements/{name}.yaml" for name in REQUIREMENT_SETS}
