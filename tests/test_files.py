"""Atomic writes (prodimg_lib.files): a file or folder appears complete or not at all, and nothing is left behind."""

import json

import keras
import numpy as np
import pytest

from prodimg_lib import files


def test_write_bytes_text_and_json_replace_the_target(tmp_path):
    path = files.atomic_write_bytes(tmp_path / "new" / "a.bin", b"one")
    assert path.read_bytes() == b"one" and path.stat().st_mode & 0o777 == files.FILE_MODE
    files.atomic_write_text(path, "twö")
    assert path.read_text(encoding="utf-8") == "twö"
    files.atomic_write_json(tmp_path / "new" / "b.json", {"x": [1, 2]})
    assert json.loads((tmp_path / "new" / "b.json").read_text()) == {"x": [1, 2]}
    assert sorted(p.name for p in (tmp_path / "new").iterdir()) == ["a.bin", "b.json"]


def test_a_failed_write_keeps_the_old_file_and_leaves_nothing(tmp_path):
    path = files.atomic_write_text(tmp_path / "summary.json", "old")
    with pytest.raises(TypeError):
        files.atomic_write_json(path, {"not json": object()})
    with pytest.raises(TypeError):
        files.atomic_write_bytes(path, None)
    assert path.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["summary.json"]


def test_save_model(tmp_path):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    path = files.atomic_save_model(model, tmp_path / "m.keras")
    x = np.ones((1, 3), "float32")
    np.testing.assert_allclose(keras.models.load_model(path).predict(x, verbose=0), model.predict(x, verbose=0))
    assert [p.name for p in tmp_path.iterdir()] == ["m.keras"]
    with pytest.raises(ValueError, match=".keras"):
        files.atomic_save_model(model, tmp_path / "m.h5")


def test_save_model_without_the_optimizer(tmp_path):
    """A trained model saved for use only: the same outputs, no optimizer state, a smaller file."""
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(256), keras.layers.Dense(256), keras.layers.Dense(2)])
    model.compile(optimizer=keras.optimizers.Adam(use_ema=True), loss="mse")
    x = np.ones((8, 3), "float32")
    model.fit(x, np.zeros((8, 2), "float32"), epochs=2, verbose=0)
    full = files.atomic_save_model(model, tmp_path / "full.keras")
    lean = files.atomic_save_model(model, tmp_path / "lean.keras", include_optimizer=False)
    loaded = keras.models.load_model(lean)
    assert getattr(loaded, "optimizer", None) is None and keras.models.load_model(full).optimizer is not None
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert lean.stat().st_size < full.stat().st_size / 2
    assert model.optimizer is not None  # the model itself is untouched


def test_folder_is_published_by_one_rename(tmp_path):
    final = tmp_path / "epoch-0001"
    with files.atomic_folder(final) as tmp:
        assert tmp.parent == tmp_path and tmp.name.startswith(files.TMP_PREFIX + "epoch-0001-")
        (tmp / "state.json").write_text("{}")
        assert not final.exists()
    assert [p.name for p in final.iterdir()] == ["state.json"]
    assert [p.name for p in tmp_path.iterdir()] == ["epoch-0001"]
    with pytest.raises(FileExistsError):
        with files.atomic_folder(final):
            pass


def test_a_failed_folder_leaves_nothing_and_remove_folder(tmp_path):
    with pytest.raises(RuntimeError, match="interrupted"):
        with files.atomic_folder(tmp_path / "epoch-0002") as tmp:
            (tmp / "generator.keras").write_bytes(b"half")
            raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "f").write_text("x")
    files.remove_folder(tmp_path / "old")
    assert list(tmp_path.iterdir()) == []


def test_the_module_imports_nothing_of_the_library():
    source = open(files.__file__, encoding="utf-8").read()
    assert "prodimg_lib" not in "".join(line for line in source.splitlines() if line.startswith(("import", "from")))
