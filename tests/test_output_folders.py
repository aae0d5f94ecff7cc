"""Output folders are never lost, and every file-system or argument fault is one line, exit 2.

The cases of the fault audit (issue 14, items 1, 5, 10 and 12): a folder the tool did not write is
never touched, its own is replaced only with ``--force``, an interrupted run leaves nothing that
looks complete, and manifests are read from any directory.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sim import folders
from sim.cli import main
from sim.commands.arguments import overrides_tag
from sim.output import RunTables
from sim.shipped import (
    experiments_dir,
    list_scenarios,
    resolve_experiment,
    resolve_scenario,
    scenarios_dir,
)

ROOT = Path(__file__).resolve().parents[1]
# the classroom scenario cut to three months: a run takes a fraction of a second
SHORT = ["run", "classroom", "--runs", "2", "--workers", "1", "--quiet", "--no-figures",
         "--set", "meta.end=2023-03"]


def one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err and err.count("\n") == 0, err
    return err


def run_short(capsys: pytest.CaptureFixture[str], out: Path, *extra: str) -> int:
    code = main([*SHORT, "--out", str(out), *extra])
    capsys.readouterr()
    return code


def test_a_folder_with_any_manifest_is_not_deleted(tmp_path, capsys):
    folder = tmp_path / "p"
    (folder / "src").mkdir(parents=True)
    (folder / "manifest.json").write_text("{}")
    (folder / "src" / "main.py").write_text("x")
    for extra in ([], ["--force"]):
        assert main([*SHORT, "--out", str(folder), *extra]) == 2
        assert "not written by `sim run`" in one_line_error(capsys)
        assert (folder / "src" / "main.py").read_text() == "x"


def test_an_experiment_does_not_touch_a_folder_it_did_not_write(tmp_path, capsys):
    folder = tmp_path / "p"
    (folder / "figures").mkdir(parents=True)
    (folder / "figures" / "mine.png").write_text("x")
    (folder / "manifest.json").write_text("{}")
    exp = experiments_dir() / "us_mediation.yaml"
    assert main(["experiment", str(exp), "--out", str(folder), "--quiet", "--force"]) == 2
    one_line_error(capsys)
    assert (folder / "figures" / "mine.png").read_text() == "x"
    assert (folder / "manifest.json").read_text() == "{}"


def test_own_run_folder_is_replaced_only_with_force(tmp_path, capsys):
    out = tmp_path / "run"
    assert run_short(capsys, out) == 0
    assert folders.read_marker(out)["status"] == folders.COMPLETE
    before = (out / "trajectories.csv").read_bytes()
    assert main([*SHORT, "--out", str(out)]) == 2
    assert "--force" in one_line_error(capsys)
    assert run_short(capsys, out, "--force") == 0
    assert (out / "trajectories.csv").read_bytes() == before
    assert not list(tmp_path.glob("*.partial")) and not list(tmp_path.glob(".run.replaced-*"))


def test_default_folder_names_the_overrides():
    assert overrides_tag({}) == ""
    envoy = overrides_tag({"levers.us_mediation.setting": "envoy"})
    passive = overrides_tag({"levers.us_mediation.setting": "passive"})
    assert envoy and passive and envoy != passive
    assert envoy == overrides_tag({"levers.us_mediation.setting": "envoy"})


@pytest.mark.parametrize("case", ["out is a file", "out under a file", "under /proc"])
def test_unwritable_out_is_one_line(case, tmp_path, capsys):
    blocker = tmp_path / "a_file"
    blocker.write_text("keep me")
    out = {"out is a file": blocker, "out under a file": blocker / "run",
           "under /proc": Path("/proc/sim-output-test/run")}[case]
    assert main([*SHORT, "--out", str(out)]) == 2
    assert str(out.parent if case != "out is a file" else out) in one_line_error(capsys)
    assert blocker.read_text() == "keep me"


@pytest.mark.parametrize("code, words", [(errno.EROFS, "read-only"),
                                         (errno.EACCES, "permission denied")])
def test_read_only_or_forbidden_out_is_one_line(code, words, tmp_path, capsys, monkeypatch):
    # root may write anywhere, so the refusal of the file system is simulated where it happens
    real_mkdir = Path.mkdir

    def refuse(self, *args, **kwargs):
        if tmp_path in self.parents:
            raise OSError(code, os.strerror(code), str(self))
        return real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", refuse)
    assert main([*SHORT, "--out", str(tmp_path / "run")]) == 2
    assert words in one_line_error(capsys)


def test_full_disk_leaves_nothing_that_looks_complete(tmp_path, capsys, monkeypatch):
    def full(self):
        raise OSError(errno.ENOSPC, "No space left on device", str(self.folder / "events.csv"))

    monkeypatch.setattr(RunTables, "flush", full)
    out = tmp_path / "run"
    assert main([*SHORT, "--out", str(out)]) == 2
    assert "the disk is full" in one_line_error(capsys)
    assert not out.exists()
    assert folders.is_incomplete(tmp_path / "run.partial")


def test_interrupted_run_is_refused_by_readers(tmp_path, capsys, monkeypatch):
    def killed(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(folders, "publish", killed)
    out = tmp_path / "run"
    assert main([*SHORT, "--out", str(out)]) == 130
    partial = tmp_path / "run.partial"
    assert not out.exists() and (partial / "manifest.json").is_file()
    assert folders.is_incomplete(partial)
    capsys.readouterr()
    assert main(["explain", str(partial), "--run", "0", "--month", "2023-02",
                 "--actor", "KOR"]) == 2
    assert "incomplete" in one_line_error(capsys)


@pytest.mark.parametrize("argv, option", [
    ([*SHORT, "--seed", "-1"], "--seed"),
    ([*SHORT, "--seed", str(2**32)], "--seed"),
    ([*SHORT, "--workers", "0"], "--workers"),
    (["experiment", str(experiments_dir() / "us_mediation.yaml"), "--scheduler",
      "not a url", "--quiet"], "--scheduler"),
])
def test_bad_arguments_are_one_line(argv, option, capsys):
    assert main(argv) == 2
    assert option in one_line_error(capsys)


def test_closed_pipe_is_one_line():
    files = [str(p) for p in sorted(scenarios_dir().glob("*.yaml"))]
    proc = subprocess.Popen([sys.executable, "-m", "sim.cli", "validate", *files],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    proc.stdout.readline()
    proc.stdout.close()  # as `| head -1` does
    err = proc.stderr.read().decode()
    assert proc.wait() == 2
    assert "Traceback" not in err and err.strip().count("\n") == 0, err


def test_manifest_paths_are_absolute_and_explain_works_elsewhere(tmp_path, capsys,
                                                                 monkeypatch):
    monkeypatch.chdir(ROOT)
    out = tmp_path / "run"
    assert main([*SHORT[:1], "scenarios/classroom.yaml", *SHORT[2:], "--out", str(out)]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert Path(manifest["scenario"]["path"]).is_absolute()
    assert all(Path(f["path"]).is_absolute() for f in manifest["scenario"]["files"])
    assert "workers" not in manifest
    assert {"python", "mesa", "numpy", "scipy", "pandas", "salib"} <= set(manifest["libraries"])
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    capsys.readouterr()
    assert main(["explain", str(out), "--run", "0", "--month", "2023-02", "--actor", "KOR"]) == 0


def test_shipped_scenarios_are_listed_named_and_copied(tmp_path, capsys):
    names = {s.name for s in list_scenarios()}
    assert {"history_2018_2023", "thaw_2023", "classroom"} <= names
    assert "base" not in names and all(s.question for s in list_scenarios())
    assert resolve_scenario("thaw_2023") == scenarios_dir() / "thaw_2023.yaml"
    assert resolve_experiment("us_mediation") == experiments_dir() / "us_mediation.yaml"
    assert main(["scenarios"]) == 0
    assert "thaw_2023" in capsys.readouterr().out
    assert main(["scenarios", "copy", "classroom_mediator", str(tmp_path)]) == 0
    copied = {p.name for p in tmp_path.iterdir()}
    assert {"classroom_mediator.yaml", "classroom.yaml", "actions.yaml", "sources.yaml"} <= copied
    capsys.readouterr()
    assert main(["scenarios", "copy", "classroom_mediator", str(tmp_path)]) == 2
    assert "--force" in one_line_error(capsys)
    assert main(["validate", str(tmp_path / "classroom_mediator.yaml")]) == 0
    capsys.readouterr()
    assert main(["run", "no_such_scenario", "--runs", "1"]) == 2
    assert "sim scenarios" in one_line_error(capsys)
