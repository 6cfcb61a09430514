"""Outputs are atomic, and file-system faults end in one line and exit code 2."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest

from camg_bayes.cli import main
from camg_bayes.errors import OutputError
from camg_bayes.files import atomic_path, ensure_writable, write_csv, write_text

ROOT = Path(__file__).resolve().parents[1]


def _only(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_atomic_write_leaves_no_temporary_file(tmp_path):
    path = write_text(tmp_path / "a.txt", "hello")
    assert path.read_text() == "hello"
    assert _only(tmp_path) == ["a.txt"]


def test_failed_write_keeps_the_old_file_and_leaves_nothing_else(tmp_path):
    path = tmp_path / "scores.csv"
    path.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(path) as tmp:
        tmp.write_text("half of the new")
        raise RuntimeError("killed halfway")
    assert path.read_text() == "old"
    assert _only(tmp_path) == ["scores.csv"]


def test_interrupt_keeps_the_old_file(tmp_path):
    path = tmp_path / "scores.csv"
    path.write_text("old")
    with pytest.raises(KeyboardInterrupt), atomic_path(path) as tmp:
        tmp.write_text("partial")
        raise KeyboardInterrupt
    assert path.read_text() == "old"
    assert _only(tmp_path) == ["scores.csv"]


def test_directory_outputs_replace_the_old_store(tmp_path):
    path = tmp_path / "fit.zarr"
    path.mkdir()
    (path / "old").write_text("x")
    with atomic_path(path) as tmp:
        tmp.mkdir()
        (tmp / "new").write_text("y")
    assert _only(path) == ["new"]
    assert _only(tmp_path) == ["fit.zarr"]


def test_unwritable_directory_is_an_output_error(tmp_path):
    if os.geteuid() == 0:
        target = Path("/proc/camg-cannot-write/out.csv")  # not writable even for root
    else:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        target = locked / "out.csv"
    with pytest.raises(OutputError, match="cannot write"):
        ensure_writable(target)


def test_a_directory_in_the_way_is_an_output_error(tmp_path):
    with pytest.raises(OutputError, match="is a directory"):
        ensure_writable(tmp_path)


def test_size_limited_file_system_is_an_output_error_and_leaves_nothing(tmp_path):
    """A full disk, simulated by a file-size limit (the write fails with EFBIG)."""
    code = textwrap.dedent(
        f"""
        import resource, signal, sys
        import pandas as pd
        from camg_bayes.errors import OutputError
        from camg_bayes.files import write_csv
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))
        try:
            write_csv(pd.DataFrame({{"x": range(100_000)}}), {str(tmp_path / "big.csv")!r})
        except OutputError as exc:
            print(exc)
            sys.exit(3)
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 3, result.stderr
    assert "cannot write" in result.stdout and "Fix:" in result.stdout
    assert _only(tmp_path) == []


def _tmpfs(path: Path, size: str) -> bool:
    """Mount a small tmpfs at ``path`` if this machine allows it."""
    path.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True
    )
    return done.returncode == 0


def test_full_tmpfs_gives_one_line_and_exit_2(tmp_path, short_fit, capsys):
    disk = tmp_path / "disk"
    if not _tmpfs(disk, "8k"):
        pytest.skip("cannot mount a tmpfs here (the size-limit test covers a full disk)")
    try:
        cohort, fit_path = short_fit
        code = main(["score", str(cohort), "--fit", str(fit_path), "--out", str(disk / "s.csv")])
        err = capsys.readouterr().err
        assert code == 2
        assert err.count("\n") == 1 and "No space left" in err
        assert _only(disk) == []
    finally:
        subprocess.run(["umount", str(disk)], check=False)


def test_cli_unwritable_output_is_one_line_before_any_work(tmp_path, capsys):
    cohort = ROOT / "src" / "camg_bayes" / "data" / "example_cohort.csv"
    blocker = tmp_path / "file"
    blocker.write_text("")
    code = main(["fit", str(cohort), "--out", str(blocker / "fit.nc")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("camg: error:") and err.count("\n") == 1
    assert "Fitting" not in capsys.readouterr().out


def test_write_csv_round_trip(tmp_path):
    table = pd.DataFrame({"a": [1.5, 2.0]})
    path = write_csv(table, tmp_path / "t.csv")
    assert pd.read_csv(path).equals(table)


@pytest.mark.skipif(not hasattr(signal, "SIGINT"), reason="needs POSIX signals")
def test_ctrl_c_during_a_fit_is_one_line_exit_2_and_no_file(tmp_path):
    """A real `camg fit` interrupted by SIGINT while sampling."""
    from camg_bayes.model.simulate import simulate

    cohort = tmp_path / "cohort.csv"
    simulate(60, random_seed=3).cohort.to_csv(cohort, index=False)
    out = tmp_path / "fit.nc"
    command = [sys.executable, "-m", "camg_bayes", "fit", str(cohort), "--out", str(out)]
    command.extend(["--draws", "100000", "--tune", "1000", "--chains", "2"])
    proc = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ | {"PYTHONUNBUFFERED": "1"},
    )
    for line in proc.stdout:  # wait until it says it is fitting, then let it sample a little
        if line.startswith("Fitting"):
            break
    time.sleep(25)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 2, err
    assert err.strip().count("\n") == 0 and "interrupted" in err
    assert "Traceback" not in err
    assert _only(tmp_path) == ["cohort.csv"]
