"""Run recorders: the CSV trajectory log and the MCAP recording (ROS 2 encodings)."""

from simplatform.recording.csv_log import CSV_COLUMNS, CsvTrajectoryLog

__all__ = ["CSV_COLUMNS", "CsvTrajectoryLog"]
