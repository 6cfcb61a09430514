import pytest

from camg_bayes.cli import main


def test_validate_prints_summary_and_exits_zero(write_csv, capsys):
    path = write_csv("subject_id,sex,serum_mg [mg/dL]\n1,F,2.0\n2,M,1.9\n")
    assert main(["validate", str(path)]) == 0
    printed = capsys.readouterr().out
    assert "2 subjects" in printed
    assert "serum_mg" in printed and "mmol/L" in printed
    assert "No warnings" in printed


def test_validate_bad_value_exits_two_with_one_line(write_csv, capsys):
    path = write_csv("subject_id,serum_mg\nA,0.8x\n")
    assert main(["validate", str(path)]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert "serum_mg" in lines[0] and "Traceback" not in captured.err


def test_validate_lists_warnings(write_csv, capsys):
    path = write_csv("subject_id,bmi,serum_mg\n1,22,0.8\n")
    assert main(["validate", str(path)]) == 0
    assert "unknown column(s) not used: bmi" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [["validate"], ["frobnicate"], ["validate", "--nope", "x"]])
def test_usage_errors_exit_two(argv, capsys):
    assert main(argv) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_validate_nhanes_directory(nhanes_dir, capsys):
    assert main(["validate", str(nhanes_dir)]) == 0
    printed = capsys.readouterr().out
    assert "9254 subjects" in printed
