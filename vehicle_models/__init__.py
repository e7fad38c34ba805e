"""vehicle_models package."""
