"""The simplatform scenario library: generators for every logical scenario.

``python -m scenarios.library.build`` writes catalogs, requirement sets, every
concrete scenario (.xosc, OpenSCENARIO 1.2) and ``scenarios/index.json``;
modules per family: ``typical_aeb``, ``typical_vru``, ``typical_lss``,
``typical_alks``, ``typical_highway``, ``continuous``, ``cooperative``,
``urban``; shared helpers in ``builder``, ``catalogs``, ``paths``, ``signals``,
``requirements``; the index format in ``index``.
"""
