import json

import nbformat
import pytest

from prodimg_lib.course import cli
from prodimg_lib.course.runner import run_course
from prodimg_lib.course.report import METRICS_MIME, clean_metrics, metrics_of, report_metrics


def _notebook(path, body):
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("PROFILE = None")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(body)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def test_course_runner_writes_notebooks_html_and_summary(tmp_path, capfd):
    ok = _notebook(
        tmp_path / "00_ok.ipynb",
        "from prodimg_lib.course.report import report_metrics\nreport_metrics(profile=PROFILE, accuracy=0.5)\n"
        "import matplotlib.pyplot as plt\nplt.plot([0, 1], [1, 0])\nplt.show()\nprint('epoch 1/1 done')",
    )
    bad = _notebook(tmp_path / "01_bad.ipynb", "raise RuntimeError('broken on purpose')")
    out = tmp_path / "build"
    summary = run_course("smoke", out, [ok, bad])
    written = json.loads((out / "summary.json").read_text())
    assert written == summary
    first, second = summary["notebooks"]
    assert first["status"] == "ok" and first["metrics"] == {"profile": "smoke", "accuracy": 0.5}
    assert second["status"] == "failed" and "broken on purpose" in second["error"]
    assert summary["failed"] == ["01_bad.ipynb"] and summary["profile"] == "smoke"
    assert all(isinstance(e["seconds"], float) for e in summary["notebooks"])
    for name in ("00_ok", "01_bad"):
        assert (out / "notebooks" / f"{name}.ipynb").is_file()
        assert "<html" in (out / "html" / f"{name}.html").read_text()[:2000].lower()
    index = (out / "index.html").read_text()
    assert '<a href="html/00_ok.html">' in index and "accuracy: <b>0.5</b>" in index
    assert "failed: RuntimeError: broken on purpose" in index and "Profile <b>smoke</b>" in index
    assert first["figure"] == "figures/00_ok.png" and "figure" not in second  # the key figure, on the course map
    assert (out / "figures" / "00_ok.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert '<img src="figures/00_ok.png"' in index
    shown = capfd.readouterr()
    assert "epoch 1/1 done" in shown.out + shown.err  # the cells' output is shown while they run
    assert "[smoke] 01_bad.ipynb: failed" in shown.out


def test_headline_metrics_pick_the_results_worth_a_glance():
    from prodimg_lib.course.runner import headline_metrics

    metrics = {"profile": "cpu", "epochs": 7, "test_accuracy": 0.93, "fcd_dcgan_final": 80.1, "psnr_gain_db": 6.1,
               "flag": True, "class_agreement": 0.94}
    assert headline_metrics(metrics) == [("test_accuracy", 0.93), ("fcd_dcgan_final", 80.1), ("psnr_gain_db", 6.1),
                                         ("class_agreement", 0.94)]


def test_report_metrics_round_trip_through_a_notebook_output():
    clean = clean_metrics(accuracy=0.91, n=3, name="x")
    output = nbformat.v4.new_output("display_data", data={METRICS_MIME: clean, "text/plain": "..."})
    cell = nbformat.v4.new_code_cell("")
    cell.outputs = [output]
    assert metrics_of({"cells": [cell]}) == {"accuracy": 0.91, "n": 3, "name": "x"}


@pytest.mark.parametrize("bad", [float("nan"), [1, 2], {"a": 1}])
def test_report_metrics_rejects_non_numbers(bad):
    with pytest.raises((TypeError, ValueError)):
        report_metrics(x=bad)


def test_report_metrics_prints_outside_jupyter(capsys):
    assert report_metrics(accuracy=0.91234, profile="cpu") is None
    assert "accuracy: 0.9123" in capsys.readouterr().out


def test_cli_rejects_an_unknown_profile(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["course", "--profile", "huge"])
    assert info.value.code == 2
    assert "invalid choice: 'huge'" in capsys.readouterr().err


def test_cli_requires_a_command(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main([])
    assert info.value.code == 2


def test_cli_env_prints_the_report(capsys):
    assert cli.main(["env"]) == 0
    assert "keras backend" in capsys.readouterr().out
