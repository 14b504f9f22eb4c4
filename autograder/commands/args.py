"""Option types and options shared by several sub-commands."""
import argparse

from autograder.common import defaults


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, got {text}")
    return value


def positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a number > 0, got {text}")
    return value


def add_db_url(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db-url", metavar="URL", default=None,
        help="gradebook database, a SQLAlchemy URL such as postgresql://user:pw@host/db "
             "(default: AUTOGRADER_DB_URL, else nbgrader's CourseDirectory.db_url, else "
             "sqlite in the course directory)")


def add_cell_timeout(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--cell-timeout", type=positive_float, default=defaults.CELL_TIMEOUT,
                        metavar="S", help="seconds one cell may run before it is interrupted "
                                          f"(default {defaults.CELL_TIMEOUT:g})")
