"""The warehouse: one DuckDB file. Scrapers and pipelines open, declare and write it only through here."""
from warehouse.connection import (WarehouseBusy, WarehouseUnreadable, backup, backups_dir, connect,  # noqa: F401
                                  latest_backup, mark_verified, private_files, read_everything, secure)
from warehouse.ddl import ITEM, ensure_app, ensure_ledger, ensure_raw, ensure_scoring  # noqa: F401
from warehouse.frames import insert_frame, transaction  # noqa: F401
