"""Where the SQL files live, for both an installed wheel and an editable checkout."""

from importlib import resources
from pathlib import Path


def sql_dir() -> Path:
    # A wheel carries the SQL inside the package; an editable install reads the repository's
    # top-level sql/ so that edits there take effect without reinstalling.
    packaged = resources.files("parkshare").joinpath("sql")
    if isinstance(packaged, Path) and packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "sql"
