"""Build, list and check the pretrained set shipped in this folder.

::

    python -m prodimg_lib.course.pretrained build --profile cpu      # or gpu; --only 04 09 for some
    python -m prodimg_lib.course.pretrained list
    python -m prodimg_lib.course.pretrained check                    # checksums, and each file loads

``build`` trains the models with the course's own code: it runs the notebooks that save them
(:data:`prodimg_lib.course.artifacts.MODEL_SOURCES`: 04, 05, 06, 08, 09 and 10) headless under the
profile, in a fresh work folder and with the shipped models turned off, so every model is
trained in that run (notebooks 05 and 06 measure with the classifier of 04 from the same run;
with ``--only``, the shipped models that are not rebuilt are copied in first, and used).
Each model a notebook saved is then copied here and recorded in ``manifest.json`` with its
checksum, the run's profile, backend, Keras version, device, date, commit and time, and the
headline numbers the notebook measured on held-out data. A notebook that fails changes nothing.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from prodimg_lib.course.pretrained import ENV_PRETRAINED, MANIFEST, SHIPPED_DIR, read_manifest
from prodimg_lib.files import atomic_write_bytes, atomic_write_json, sha256_of


def _commit() -> str:
    """The repository's commit (``+changes`` when the working tree differs from it), or "unknown"."""
    root = Path(__file__).resolve().parents[3]
    try:
        head = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=root, capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root, capture_output=True,
                               text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+changes" if dirty else "")


def _device() -> str:
    from prodimg_lib.course.devices import gpu_names

    names = gpu_names()
    return ", ".join(names) if names else "CPU"


def _without_machine_paths(metrics: dict, work: Path) -> dict:
    """``metrics`` with the run's build folder written as ``build`` (a shipped manifest names no machine's folders)."""
    prefixes = sorted({str(work), str(work.resolve())}, key=len, reverse=True)

    def clean(value):
        if isinstance(value, str):
            for prefix in prefixes:
                value = value.replace(prefix, "build")
        return value

    return {key: clean(value) for key, value in metrics.items()}


def build(profile: str, only=None, *, target=SHIPPED_DIR, work=None, log=print) -> dict:
    """Train the pretrained set (or the models of the ``only`` notebooks) and record it in ``target``.

    Args:
        profile: "cpu" or "gpu" (a "smoke" set would be useless to learners, and is refused).
        only: notebooks to run (numbers, names or paths); default: every notebook that saves a model.
        target: the folder of the set (default: the shipped one, this package's folder).
        work: the build folder of the run (default: a temporary folder, removed afterwards).
        log: called with one line per event.

    Returns:
        The manifest as written.

    Raises:
        ValueError: the smoke profile, or a notebook in ``only`` that saves no model.
        RuntimeError: a notebook failed (the models of those that succeeded are recorded).
    """
    import keras

    from prodimg_lib.course.artifacts import MODEL_SOURCES
    from prodimg_lib.course.notebooks import find_notebook
    from prodimg_lib.course.profiles import get_profile
    from prodimg_lib.course.runner import run_course

    profile = get_profile(profile).name
    if profile == "smoke":
        raise ValueError("the smoke profile trains for seconds: build the pretrained set under cpu or gpu")
    producers = sorted({Path(source).name for source in MODEL_SOURCES.values()})
    chosen = [find_notebook(n).name for n in only] if only else producers
    for name in chosen:
        if name not in producers:
            raise ValueError(f"{name} saves no model; the notebooks that do: {', '.join(producers)}")
    target = Path(target)
    manifest = read_manifest(target)
    temporary = work is None
    work = Path(tempfile.mkdtemp(prefix="prodimg-pretrained-")) if temporary else Path(work)
    previous = os.environ.get(ENV_PRETRAINED)
    try:
        models = work / "models"
        models.mkdir(parents=True, exist_ok=True)
        for name, record in manifest["models"].items():  # kept models serve the rebuilt notebooks (e.g. the classifier)
            if Path(MODEL_SOURCES.get(name, "")).name not in chosen and (target / record["file"]).is_file():
                shutil.copyfile(target / record["file"], models / record["file"])
        os.environ[ENV_PRETRAINED] = "off"  # the run trains everything it uses, or uses the copies above
        log(f"training the models of {', '.join(chosen)} under the {profile} profile in {work}")
        summary = run_course(profile, work, chosen)
        common = {"profile": profile, "backend": keras.backend.backend(), "keras": keras.__version__,
                  "device": _device(), "commit": _commit()}
        for entry in summary["notebooks"]:
            if entry["status"] != "ok":
                log(f"{entry['notebook']} failed ({entry.get('error', '?')}): its models are left as they were")
                continue
            for name, source in MODEL_SOURCES.items():
                made = models / f"{name}.keras"
                if Path(source).name != entry["notebook"] or not made.is_file():
                    continue
                atomic_write_bytes(target / made.name, made.read_bytes())
                manifest["models"][name] = {
                    "file": made.name, "sha256": sha256_of(target / made.name), "bytes": made.stat().st_size,
                    "notebook": entry["notebook"], **common,
                    "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
                    "notebook_seconds": entry["seconds"], "metrics": _without_machine_paths(entry["metrics"], work),
                }
                log(f"{name}: {made.stat().st_size / 1e6:.2f} MB from {entry['notebook']} ({entry['seconds']:.0f} s)")
        manifest["format"] = 1
        manifest["models"] = dict(sorted(manifest["models"].items()))
        atomic_write_json(target / MANIFEST, manifest)
    finally:
        if previous is None:
            os.environ.pop(ENV_PRETRAINED, None)
        else:
            os.environ[ENV_PRETRAINED] = previous
        if temporary:
            shutil.rmtree(work, ignore_errors=True)
    if summary["failed"]:
        raise RuntimeError(f"failed: {', '.join(summary['failed'])} (the other notebooks' models were recorded)")
    return manifest


def describe(folder=None) -> str:
    """A table of the set: name, size, notebook, profile, backend, date, headline numbers; and the total size."""
    manifest = read_manifest(folder)
    if not manifest["models"]:
        return "no pretrained models installed"
    lines = []
    for name, r in manifest["models"].items():
        numbers = ", ".join(f"{k} {v:.4g}" for k, v in r.get("metrics", {}).items()
                            if isinstance(v, (int, float)) and not isinstance(v, bool))
        lines.append(f"{name:18s} {r['bytes'] / 1e6:6.2f} MB  {r['notebook']:30s} {r['profile']:4s} {r['backend']:10s} "
                     f"{r['date'][:10]}  {numbers[:160]}")
    total = sum(r["bytes"] for r in manifest["models"].values())
    return "\n".join(lines + [f"{len(lines)} model(s), {total / 1e6:.2f} MB in all"])


# The headline number shown for each model in the README's table (the manifest keeps them all).
HEADLINE = {"classifier": "test_accuracy", "dcgan_generator": "class_histogram_normalised_entropy",
            "cdcgan_generator": "class_agreement", "sr_x2": "x2_edsr_gain_db", "sr_x4": "x4_edsr_gain_db",
            "sr_x2_photo": "photos_x2_gain_db", "sr_x4_photo": "photos_x4_gain_db",
            "denoise": "denoise_gain_db", "denoise_photo": "photos_sigma25_gain_db", "flow_generator": "fcd_flow",
            "low_light_photo": "photos_low_light_gain_db"}


def markdown(folder=None) -> str:
    """The set as a Markdown table (for README): model, size, notebook, how it was trained, its headline number."""
    manifest = read_manifest(folder)
    lines = ["| model | size | trained by | profile, backend, date | headline number (held-out data) |",
             "|---|---|---|---|---|"]
    for name, r in manifest["models"].items():
        metric = HEADLINE.get(name)
        value = r.get("metrics", {}).get(metric)
        number = f"{metric} {value:.4g}" if isinstance(value, (int, float)) else ""
        lines.append(f"| `{name}` | {r['bytes'] / 1e6:.1f} MB | {r['notebook']} ({r['notebook_seconds'] / 60:.0f} min) | "
                     f"{r['profile']}, {r['backend']}, {r['date'][:10]} | {number} |")
    total = sum(r["bytes"] for r in manifest["models"].values())
    return "\n".join(lines + [f"| all | {total / 1e6:.1f} MB | | | |"])


def check(folder=None) -> list[str]:
    """Problems of the set: files missing, not matching their checksum, or refused by Keras (safe mode on)."""
    import keras

    from prodimg_lib.course.artifacts import CorruptModelError, pretrained_model

    folder = SHIPPED_DIR if folder is None else Path(folder)
    problems = []
    for name in read_manifest(folder)["models"]:
        try:
            keras.models.load_model(pretrained_model(name, folder).path, safe_mode=True)
        except CorruptModelError as error:  # missing, or not matching its checksum
            problems.append(f"{name}: {error}")
        except Exception as error:  # noqa: BLE001 - reported, one line per model
            problems.append(f"{name}: cannot be loaded ({type(error).__name__}: {error})")
    return problems


def main(argv=None) -> int:
    from prodimg_lib.course.env import quiet_tensorflow

    quiet_tensorflow()
    parser = argparse.ArgumentParser(prog="python -m prodimg_lib.course.pretrained", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="train the set with the course's notebooks and record it")
    b.add_argument("--profile", choices=["cpu", "gpu"], required=True)
    b.add_argument("--only", nargs="+", default=None, help="only these notebooks (numbers, names or paths)")
    b.add_argument("--work", default=None, help="keep the run's build folder here (default: a temporary one)")
    listing = sub.add_parser("list", help="the set: sizes, provenance, headline numbers")
    listing.add_argument("--markdown", action="store_true", help="as a Markdown table")
    sub.add_parser("check", help="verify every file's checksum and that it loads")
    args = parser.parse_args(argv)
    if args.command == "build":
        try:
            build(args.profile, args.only, work=args.work)
        except (ValueError, FileNotFoundError, RuntimeError) as error:
            print(f"pretrained build: error: {error}", file=sys.stderr)
            return 2 if not isinstance(error, RuntimeError) else 1
        print(describe())
        return 0
    if args.command == "list":
        print(markdown() if args.markdown else describe())
        return 0
    problems = check()
    if not read_manifest(SHIPPED_DIR)["models"]:
        print("no pretrained models installed")
    else:
        print("\n".join(problems) if problems else f"all pretrained models intact\n{describe()}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
