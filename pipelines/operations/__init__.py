"""Stage 6, operations: jobs, the schedule, sensors and alerts, run stopping and status, backups and
erasure, the one stage allowed to touch every table."""
