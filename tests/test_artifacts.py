import keras
import numpy as np
import pytest

from prodimg_lib.course import artifacts


@pytest.fixture
def build(tmp_path, monkeypatch):
    monkeypatch.setenv("PRODIMG_BUILD_DIR", str(tmp_path / "build"))
    return tmp_path / "build"


def test_save_and_load_round_trip(build):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    path = artifacts.save_model(model, "tiny")
    assert path == build / "models" / "tiny.keras" and path.is_file()
    assert [p.name for p in path.parent.iterdir()] == ["tiny.keras"], "no temporary file left behind"
    assert path.stat().st_mode & 0o777 == 0o644
    x = np.ones((1, 3), dtype="float32")
    assert np.allclose(artifacts.load_model("tiny").predict(x, verbose=0), model.predict(x, verbose=0))


def test_missing_model_names_the_notebook_that_creates_it(build):
    with pytest.raises(artifacts.ModelNotFoundError, match="run notebooks/04_product_data.ipynb"):
        artifacts.load_model("classifier")
    with pytest.raises(artifacts.ModelNotFoundError, match="not found"):
        artifacts.load_model("something_else")


def test_failed_save_leaves_nothing_behind(build):
    class Broken(keras.Model):
        def save(self, *args, **kwargs):
            raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        artifacts.save_model(Broken(), "broken")
    assert list((build / "models").iterdir()) == []
