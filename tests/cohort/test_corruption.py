"""Property-based: valid cohorts corrupted at random get the project's own error, everywhere.

Every command that reads a cohort (``validate``, ``score``, ``whatif``, ``fit``) is given
the corrupted file. Each must exit 0 (the corruption was harmless) or 2 with one line on
stderr naming the problem: never a traceback, never another exit code. The library
reader must raise :class:`camg_bayes.errors.CamgError` or succeed.
"""

import io
import warnings
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from camg_bayes.cli import main
from camg_bayes.cohort import load_cohort
from camg_bayes.errors import CamgError
from camg_bayes.model.simulate import simulate

GARBAGE = ["", "abc", "NaN", "-1", "-0.5", "1e309", "inf", "0", "1,5", "∞", "nan nan", "#", "\t"]
UNITS = ["[furlongs]", "[mg/dL]", "[]", "[mmol/L", "[pg/mL]", "(mg)"]


@pytest.fixture(scope="module")
def valid_csv() -> str:
    return simulate(6, random_seed=11).cohort.to_csv(index=False)


corruption = st.one_of(
    st.tuples(
        st.just("cell"), st.integers(0, 10_000), st.integers(0, 100), st.sampled_from(GARBAGE)
    ),
    st.tuples(st.just("drop_column"), st.integers(0, 100)),
    st.tuples(st.just("rename_column"), st.integers(0, 100), st.text(min_size=0, max_size=8)),
    st.tuples(st.just("unit"), st.integers(0, 100), st.sampled_from(UNITS)),
    st.tuples(st.just("duplicate_row"), st.integers(0, 10_000)),
    st.tuples(st.just("truncate"), st.floats(0.0, 1.0)),
    st.tuples(st.just("bytes"), st.binary(min_size=1, max_size=40), st.floats(0.0, 1.0)),
    st.tuples(st.just("shuffle_header"), st.randoms(use_true_random=False)),
    st.tuples(st.just("scale"), st.integers(0, 100), st.sampled_from([1e-3, 10.0, 1e4, -1.0])),
)


def corrupt(text: str, how: tuple) -> bytes:
    """Apply one corruption to the CSV ``text``."""
    kind = how[0]
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    columns = list(frame.columns)
    if kind == "cell":
        frame.iat[how[1] % len(frame), how[2] % len(columns)] = how[3]
    elif kind == "drop_column":
        frame = frame.drop(columns=columns[how[1] % len(columns)])
    elif kind == "rename_column":
        frame = frame.rename(columns={columns[how[1] % len(columns)]: how[2]})
    elif kind == "unit":
        name = columns[how[1] % len(columns)]
        frame = frame.rename(columns={name: f"{name} {how[2]}"})
    elif kind == "duplicate_row":
        frame = pd.concat([frame, frame.iloc[[how[1] % len(frame)]]])
    elif kind == "scale":
        name = columns[how[1] % len(columns)]
        values = pd.to_numeric(frame[name], errors="coerce")
        if values.notna().any():
            frame[name] = (values * how[2]).astype(str)
    elif kind == "shuffle_header":
        how[1].shuffle(columns)
        frame.columns = columns
    data = frame.to_csv(index=False).encode()
    if kind == "truncate":
        return data[: int(len(data) * how[1])]
    if kind == "bytes":
        at = int(len(data) * how[2])
        return data[:at] + how[1] + data[at:]
    return data


def _one_line_or_success(code: int, err: str) -> None:
    assert "Traceback" not in err, err
    assert code in (0, 2), err
    if code == 2:
        lines = [line for line in err.strip().splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("camg:"), err


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(how=corruption)
def test_corrupted_cohorts_get_the_projects_own_error(valid_csv, tmp_path, capsys, how):
    path = tmp_path / "cohort.csv"
    path.write_bytes(corrupt(valid_csv, how))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            load_cohort(path)
            readable = True
        except CamgError:
            readable = False
    out = tmp_path / "out.csv"
    commands = [
        ["validate", str(path)],
        ["score", str(path), "--out", str(out), "--draws", "100", "--seed", "1"],
        ["whatif", str(path), "--out", str(out), "--add-mg", "100", "--draws", "100"],
    ]
    if not readable:  # a fit of a readable cohort would sample; an unreadable one must stop
        commands.append(["fit", str(path), "--out", str(tmp_path / "fit.nc")])
    for argv in commands:
        capsys.readouterr()
        code = main(argv)
        _one_line_or_success(code, capsys.readouterr().err)
        if not readable:
            assert code == 2, argv
    assert not Path(tmp_path / "fit.nc").exists()


def test_the_corruptions_do_bite(valid_csv, tmp_path):
    """Guard: the strategies produce refused files, not only harmless ones."""
    refused = 0
    for how in [("drop_column", 0), ("cell", 0, 0, ""), ("truncate", 0.05), ("scale", 8, 1e4)]:
        path = tmp_path / "c.csv"
        path.write_bytes(corrupt(valid_csv, how))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                load_cohort(path)
            except CamgError:
                refused += 1
    assert refused >= 3
