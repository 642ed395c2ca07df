"""Progress bars for long work, shown only on a terminal (tqdm stays silent when stderr is not a TTY)."""
from contextlib import contextmanager

from tqdm import tqdm


@contextmanager
def progress_bar(what: str, total: int | None = None):
    bar = tqdm(total=total, desc=what, unit="item", disable=None, leave=False)
    try:
        yield bar.update
    finally:
        bar.close()
