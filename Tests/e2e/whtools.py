"""Run the real clients (pip, uv, twine) and the wheelhouse CLI as subprocesses."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from whserver import clean_env

VENV_BIN = Path(sys.executable).parent
TWINE = VENV_BIN / "twine"
UV = VENV_BIN / "uv"
# twine 6.2+ refuses --skip-existing outside PyPI; scripts/test installs 6.1 here for that test.
TWINE_SKIP_EXISTING = Path(sys.prefix) / "opt" / "twine61" / "bin" / "twine"


@dataclass
class Result:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def __str__(self) -> str:
        return (f"$ {' '.join(self.args)}\nexit {self.returncode}\n--- stdout ---\n{self.stdout[-4000:]}"
                f"\n--- stderr ---\n{self.stderr[-4000:]}")


def run(args: list, env: dict | None = None, timeout: float = 300, cwd: Path | None = None) -> Result:
    args = [str(a) for a in args]
    try:
        p = subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=env or clean_env(),
                           stdin=subprocess.DEVNULL, cwd=cwd)
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        err = e.stderr.decode(errors="replace") if isinstance(e.stderr, bytes) else (e.stderr or "")
        return Result(args, -999, out, err + f"\n[timed out after {timeout}s]")
    return Result(args, p.returncode, p.stdout, p.stderr)


# -- twine ---------------------------------------------------------------------

def twine_env(**extra) -> dict:
    # No keyring look-ups: they can hang on a headless machine.
    return clean_env(PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring", **extra)


def twine_upload(repository_url: str, files: list[Path], user: str = "__token__", password: str | None = None,
                 extra: tuple = (), twine: Path = TWINE, timeout: float = 300) -> Result:
    args = [twine, "upload", "--non-interactive", "--disable-progress-bar", "--verbose",
            "--repository-url", repository_url, "-u", user]
    if password is not None:
        args += ["-p", password]
    return run(args + list(extra) + list(files), env=twine_env(), timeout=timeout)


# -- fresh venvs, pip and uv -----------------------------------------------------

class Venv:
    def __init__(self, path: Path):
        self.path = path
        self.python = path / "bin" / "python"

    @classmethod
    def create(cls, path: Path) -> "Venv":
        # No pip inside: the suite's own (current) pip installs into it with --python.
        r = run([sys.executable, "-m", "venv", "--without-pip", path], timeout=120)
        assert r.returncode == 0, str(r)
        return cls(path)

    def version_of(self, dist: str) -> str | None:
        r = run([self.python, "-c",
                 f"import importlib.metadata as m\ntry: print(m.version({dist!r}))\nexcept m.PackageNotFoundError: print('-')"])
        assert r.returncode == 0, str(r)
        v = r.stdout.strip()
        return None if v == "-" else v

    def check_import(self, *modules: str) -> Result:
        return run([self.python, "-c", "import " + ", ".join(modules)])


def pip_env(**extra) -> dict:
    return clean_env(PIP_CONFIG_FILE="/dev/null", PIP_NO_INPUT="1", PIP_DISABLE_PIP_VERSION_CHECK="1",
                     PIP_KEYRING_PROVIDER="disabled", **extra)


def pip_install(venv: Venv, args: list, env: dict | None = None) -> Result:
    return run([sys.executable, "-m", "pip", "--python", venv.python, "install", "--no-cache-dir", *args],
               env=env or pip_env())


def uv_env(cache_dir: Path, **extra) -> dict:
    return clean_env(UV_CACHE_DIR=str(cache_dir), UV_NO_CONFIG="1", UV_PYTHON_DOWNLOADS="never",
                     UV_NO_PROGRESS="1", **extra)


def uv_pip_install(venv: Venv, args: list, env: dict) -> Result:
    return run([UV, "pip", "install", "--python", venv.python, *args], env=env)


# -- the wheelhouse CLI -------------------------------------------------------------

def cli(binary: str, args: list, url: str | None = None, token: str | None = None, timeout: float = 60) -> Result:
    extra = {}
    if url is not None:
        extra["WHEELHOUSE_URL"] = url
    if token is not None:
        extra["WHEELHOUSE_TOKEN"] = token
    return run([binary, *args], env=clean_env(**extra), timeout=timeout)
