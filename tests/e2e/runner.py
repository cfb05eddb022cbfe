"""How the end-to-end tests run `ledger ARGS`: through the entry point `ledger.cli.main`, in this process.

A `ledger` process spends about a second importing pandas and SQLAlchemy before it works, so running
hundreds of commands as processes made the suite slow. Here each command gets what a process would: its
own argv, working folder and environment (without LEDGER_DATABASE_URL and COLUMNS unless given), its own
stdout and stderr, the exit code `main` leaves, and a traceback printed to stderr for an exception `main`
lets through, so that "no Traceback" still means what it says. `installed=True` runs the installed command
in a subprocess instead, for the tests where the process itself is the point (help, the entry point,
concurrent writers).
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import subprocess
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path

INSTALLED = shutil.which("ledger") or str(Path(sys.executable).with_name("ledger"))


@dataclass(frozen=True)
class Done:
    """What a finished command left: like subprocess.CompletedProcess."""

    returncode: int
    stdout: str
    stderr: str


# Not passed on unless given: the ledger the tests choose, and the width of the terminal running them (so
# that tables are laid out for 80 columns, as off any terminal).
WITHHELD = ("LEDGER_DATABASE_URL", "COLUMNS", "LINES")


def ledger(*args: str, cwd: Path, env: dict[str, str] | None = None, installed: bool = False) -> Done:
    """Run `ledger ARGS` in `cwd` with the environment minus WITHHELD, plus `env`."""
    environment = {k: v for k, v in os.environ.items() if k not in WITHHELD} | (env or {})
    if installed:
        done = subprocess.run([INSTALLED, *args], cwd=cwd, env=environment, capture_output=True, text=True, timeout=300)
        return Done(done.returncode, done.stdout, done.stderr)
    return _in_process(list(args), cwd, environment)


def _in_process(args: list[str], cwd: Path, environment: dict[str, str]) -> Done:
    from ledger.cli import main

    out, err = io.StringIO(), io.StringIO()
    saved_environment, saved_argv, saved_cwd = dict(os.environ), sys.argv, os.getcwd()
    os.environ.clear()
    os.environ.update(environment)
    sys.argv = ["ledger", *args]
    os.chdir(cwd)
    code = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main()
            except SystemExit as exit_:
                code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
            except Exception:  # what a process would print before dying
                traceback.print_exc()
                code = 1
    finally:
        os.chdir(saved_cwd)
        sys.argv = saved_argv
        os.environ.clear()
        os.environ.update(saved_environment)
    return Done(code, out.getvalue(), err.getvalue())
