"""Helpers of the CARLA backend (:mod:`simplatform.backends.carla_backend`).

Nothing here imports the ``carla`` client at module level: the client is only
needed once a CARLA backend is asked for, and the tests inject a fake.
"""
