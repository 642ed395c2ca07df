"""The warehouse: one DuckDB file, opened, locked, checked, secured and backed up here. It names no table:
each stage of pipelines/ declares and writes its own."""
from warehouse.connection import (WarehouseBusy, WarehouseUnreadable, backup, backups_dir, connect,  # noqa: F401
                                  latest_backup, mark_verified, private_files, read_everything, secure)
from warehouse.frames import insert_frame, transaction  # noqa: F401
