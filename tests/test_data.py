import errno
import gzip
import http.server
import shutil
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from prodimg_lib import data
from prodimg_lib.data import fashion_mnist
from prodimg_lib.course.exercises import welcome as exercises
from prodimg_lib.course.profiles import get_profile


def _source_files(full_source) -> Path:
    """Folder of the four .gz files behind the located full data set."""
    _, source = full_source
    if source.kind == "download":
        pytest.skip("the full data set was only reachable by download")
    return Path(source.location)


# --- the full data set ---------------------------------------------------------------------


def test_full_data_shapes_dtypes_and_labels(full_fashion_mnist):
    fm, source = full_fashion_mnist
    assert [a.shape for a in fm] == [(60000, 28, 28), (60000,), (10000, 28, 28), (10000,)]
    assert all(a.dtype == np.uint8 for a in fm)
    assert np.array_equal(np.bincount(fm.y_train), np.full(10, 6000))
    assert np.array_equal(np.bincount(fm.y_test), np.full(10, 1000))
    assert fm.x_train.max() == 255 and fm.x_train.min() == 0
    assert source.kind in {"directory", "cache", "debian", "download"}


def test_explicit_directory_is_tried_first_and_uncompressed_files_work(full_fashion_mnist, tmp_path, isolated_cache):
    folder = _source_files(full_fashion_mnist)
    for gz in folder.glob("*-ubyte.gz"):
        (tmp_path / gz.stem).write_bytes(gzip.decompress(gz.read_bytes()))
    fm, source = data.locate_fashion_mnist(tmp_path, download=False)
    assert source.kind == "directory"
    assert np.array_equal(fm.y_test, full_fashion_mnist[0].y_test)


def test_environment_variable_directory(full_fashion_mnist, tmp_path, monkeypatch, isolated_cache):
    folder = _source_files(full_fashion_mnist)
    monkeypatch.setenv(data.ENV_DIR, str(folder))
    _, source = data.locate_fashion_mnist(download=False)
    assert source.kind == "directory" and data.ENV_DIR in source.description


def test_corrupt_file_fails_its_checksum_and_the_next_source_is_used(full_fashion_mnist, tmp_path, isolated_cache):
    folder = _source_files(full_fashion_mnist)
    for gz in folder.glob("*-ubyte.gz"):
        shutil.copy(gz, tmp_path / gz.name)
    raw = bytearray(gzip.decompress((tmp_path / "t10k-labels-idx1-ubyte.gz").read_bytes()))
    raw[100] = (raw[100] + 1) % 10  # one wrong label
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(bytes(raw)))
    bad = data.Source("directory", str(tmp_path), "tampered folder")
    with pytest.raises(data.DataNotFoundError, match="t10k-labels-idx1-ubyte fails its checksum"):
        data.locate_fashion_mnist(sources=[bad])
    good = data.Source("debian", str(folder), "real files")
    with pytest.warns(UserWarning, match="folder you named was skipped.*tampered folder: t10k-labels"):
        fm, source = data.locate_fashion_mnist(sources=[bad, good])
    assert source is good and len(fm.x_train) == 60000


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def local_server(full_fashion_mnist, tmp_path):
    """An HTTP server on 127.0.0.1 serving a copy of the real .gz files."""
    folder = _source_files(full_fashion_mnist)
    served = tmp_path / "served"
    served.mkdir()
    for gz in folder.glob("*-ubyte.gz"):
        shutil.copy(gz, served / gz.name)
    handler = lambda *a, **k: _QuietHandler(*a, directory=str(served), **k)  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", served
    server.shutdown()
    server.server_close()


def test_download_is_verified_and_cached(local_server, isolated_cache):
    url, _ = local_server
    fm, source = data.locate_fashion_mnist(sources=[data.Source("download", url, "local mirror")])
    assert source.kind == "download" and len(fm.x_test) == 10000
    assert sorted(p.name for p in isolated_cache.iterdir()) == sorted(
        f"{name}.gz" for name, _, _ in fashion_mnist._FILES.values()
    )
    # the cache is now a source of its own
    _, again = data.locate_fashion_mnist(sources=data.default_sources(download=False)[:1])
    assert again.kind == "cache"


@pytest.mark.parametrize("code, reason", [(errno.ENOSPC, "No space left on device"), (errno.EACCES, "Permission denied")])
def test_verified_download_is_used_when_the_cache_cannot_store_it(local_server, isolated_cache, monkeypatch, code, reason):
    """A full or read-only cache folder: the download is kept in memory, with one warning, and nothing half-written."""
    url, _ = local_server

    def cannot_write(path, payload):
        raise OSError(code, reason, str(path))

    monkeypatch.setattr(fashion_mnist, "atomic_write_bytes", cannot_write)
    with pytest.warns(UserWarning, match=f"could not be stored.*{reason}.*PRODIMG_CACHE_DIR"):
        fm, source = data.locate_fashion_mnist(sources=[data.Source("download", url, "local mirror")])
    assert source.kind == "download" and len(fm.x_train) == 60000 and fm.x_train.dtype == np.uint8
    assert not isolated_cache.exists() or not any(isolated_cache.iterdir())


def test_a_cache_that_cannot_be_created_does_not_stop_a_verified_download(local_server, tmp_path, monkeypatch):
    """No patching: the cache folder would have to be made inside a file, which the OS refuses."""
    url, _ = local_server
    a_file = tmp_path / "a_file"
    a_file.write_text("not a folder")
    monkeypatch.setenv(data.ENV_CACHE, str(a_file / "cache"))
    with pytest.warns(UserWarning, match="could not be stored.*Not a directory"):
        fm, source = data.locate_fashion_mnist(sources=[data.Source("download", url, "local mirror")])
    assert source.kind == "download" and len(fm.x_test) == 10000 and a_file.read_text() == "not a folder"


def test_a_named_folder_that_fails_is_reported_when_a_later_source_works(full_fashion_mnist, tmp_path, monkeypatch,
                                                                         isolated_cache):
    folder = _source_files(full_fashion_mnist)
    not_a_folder = tmp_path / "train-images-idx3-ubyte.gz"
    not_a_folder.write_bytes(b"")
    monkeypatch.setenv(data.ENV_DIR, str(not_a_folder))
    good = data.Source("debian", str(folder), "real files")
    with pytest.warns(UserWarning, match="folder you named was skipped.*is a file: name the folder"):
        _, source = data.locate_fashion_mnist(sources=[*data.default_sources(download=False)[:1], good])
    assert source is good
    with pytest.raises(data.DataNotFoundError, match="is a file: name the folder"):
        data.locate_fashion_mnist(sources=data.default_sources(download=False)[:1])


def test_download_with_a_wrong_file_is_rejected_and_nothing_is_cached(local_server, isolated_cache):
    url, served = local_server
    (served / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress(b"\x00\x00\x08\x01" + bytes(60004)))
    with pytest.raises(data.DataNotFoundError, match="train-labels-idx1-ubyte fails its checksum"):
        data.locate_fashion_mnist(sources=[data.Source("download", url, "bad mirror")])
    assert not (isolated_cache / "train-labels-idx1-ubyte.gz").exists()


def test_no_data_and_no_network_gives_one_error_listing_every_source(tmp_path, isolated_cache, monkeypatch):
    monkeypatch.setattr(fashion_mnist, "DEBIAN_DIR", tmp_path / "not-installed")
    monkeypatch.setenv(data.ENV_URL, "http://127.0.0.1:9/")  # the discard port: connection refused
    monkeypatch.setenv(data.ENV_DIR, str(tmp_path / "empty"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(data.DataNotFoundError) as info:
        data.load_fashion_mnist()
    message = str(info.value)
    for expected in (
        "directory from $PRODIMG_FASHION_MNIST_DIR",
        "train-images-idx3-ubyte.gz is missing",
        "project cache",
        "Debian package dataset-fashion-mnist",
        "does not exist",
        "could not download http://127.0.0.1:9/",
        "apt-get install dataset-fashion-mnist",
        "sample=True",
    ):
        assert expected in message


def test_download_false_says_so(tmp_path, isolated_cache, monkeypatch):
    monkeypatch.setattr(fashion_mnist, "DEBIAN_DIR", tmp_path / "not-installed")
    with pytest.raises(data.DataNotFoundError, match=r"download: not attempted \(download=False\)"):
        data.load_fashion_mnist(download=False)


# --- the committed sample ------------------------------------------------------------------


def test_sample_loads_fast_and_is_balanced():
    start = time.perf_counter()
    fm = data.load_fashion_mnist(sample=True)
    assert time.perf_counter() - start < 1.0
    assert [a.shape for a in fm] == [(1000, 28, 28), (1000,), (200, 28, 28), (200,)]
    assert np.array_equal(np.bincount(fm.y_train), np.full(10, 100))
    assert np.array_equal(np.bincount(fm.y_test), np.full(10, 20))
    assert len(set(fm.y_train[:20])) > 5, "the sample should be in mixed class order"


def test_sample_is_drawn_from_the_real_data(full_fashion_mnist, tmp_path):
    fm, _ = full_fashion_mnist
    digest = data.make_sample(fm, tmp_path / "sample.npz")
    assert digest == data.SAMPLE_SHA256, "make_sample no longer reproduces the committed sample"
    sample = data.load_sample()
    # every sampled image is one of the real training images with the same label
    index = {img.tobytes(): label for img, label in zip(fm.x_train, fm.y_train)}
    assert all(index[img.tobytes()] == label for img, label in zip(sample.x_train, sample.y_train))


def test_tampered_sample_fails_its_checksum(tmp_path):
    fm = data.load_sample()
    x = fm.x_train.copy()
    x[0, 0, 0] ^= 1
    np.savez_compressed(tmp_path / "s.npz", x_train=x, y_train=fm.y_train, x_test=fm.x_test, y_test=fm.y_test)
    with pytest.raises(data.CorruptDataError, match="fails its checksum.*git checkout"):
        data.load_sample(tmp_path / "s.npz")


def _write_sample(path, **arrays):
    np.savez_compressed(path, **arrays)
    return path


@pytest.mark.parametrize("damage", ["truncated", "empty", "bit_flipped", "not_a_zip"])
def test_unreadable_sample_is_one_clear_error_naming_the_file(tmp_path, damage):
    raw = data.sample_path().read_bytes()
    path = tmp_path / "s.npz"
    if damage == "truncated":
        path.write_bytes(raw[: len(raw) // 2])
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "bit_flipped":  # a byte in the middle of the compressed pixels
        flipped = bytearray(raw)
        flipped[len(raw) // 2] ^= 0xFF
        path.write_bytes(bytes(flipped))
    else:
        path.write_text("x_train,y_train\n1,2\n")
    with pytest.raises(data.CorruptDataError) as info:
        data.load_sample(path)
    message = str(info.value)
    assert str(path) in message and "git checkout" in message, message
    assert "\n" not in message


def test_sample_missing_an_array_names_it(tmp_path):
    fm = data.load_sample()
    path = _write_sample(tmp_path / "s.npz", x_train=fm.x_train, y_train=fm.y_train, x_test=fm.x_test)
    with pytest.raises(data.CorruptDataError, match="lacks the array.*y_test"):
        data.load_sample(path)


def test_sample_of_another_dtype_is_refused_not_cast(tmp_path):
    """Casting to uint8 before hashing let values 256-511 and labels -256 pass as the real sample."""
    fm = data.load_sample()
    shifted = _write_sample(tmp_path / "shifted.npz", x_train=fm.x_train.astype(np.int16) + 256,
                            y_train=fm.y_train.astype(np.int16) - 256, x_test=fm.x_test, y_test=fm.y_test)
    with pytest.raises(data.CorruptDataError, match="does not hold uint8.*x_train is int16"):
        data.load_sample(shifted)
    floats = _write_sample(tmp_path / "floats.npz", x_train=fm.x_train.astype(np.float64), y_train=fm.y_train,
                           x_test=fm.x_test, y_test=fm.y_test)
    with pytest.raises(data.CorruptDataError, match="x_train is float64"):
        data.load_sample(floats)


def test_sample_path_that_is_a_folder_says_so(tmp_path):
    with pytest.raises(data.DataNotFoundError, match="is a folder"):
        data.load_sample(tmp_path)


def test_missing_sample_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PRODIMG_DATA_DIR", str(tmp_path))
    with pytest.raises(data.DataNotFoundError, match="sample .* is missing"):
        data.load_fashion_mnist(sample=True)


def test_load_for_profile_uses_the_sample_for_smoke_and_caps_training_images(capsys):
    fm = data.load_for_profile(get_profile("smoke", max_train_images=300))
    assert len(fm.x_train) == 300 and len(fm.x_test) == 200
    assert "committed Fashion-MNIST sample" in capsys.readouterr().out


def test_class_names():
    assert len(data.CLASS_NAMES) == data.NUM_CLASSES == 10
    assert data.CLASS_NAMES[7] == "Sneaker" and data.CLASS_NAMES[9] == "Ankle boot"


# --- scaling -------------------------------------------------------------------------------


def test_scaling_round_trip_is_exact_for_every_pixel_value():
    pixels = np.arange(256, dtype=np.uint8).reshape(16, 16)
    scaled = data.to_minus_one_one(pixels)
    assert scaled.dtype == np.float32 and scaled.min() == -1.0 and scaled.max() == 1.0
    assert np.array_equal(data.from_minus_one_one(scaled), pixels)


def test_from_minus_one_one_clips_and_gives_floats_for_plotting():
    x = np.array([-1.5, -1.0, 0.0, 1.0, 1.5])
    assert data.from_minus_one_one(x).tolist() == [0, 0, 128, 255, 255]
    assert np.allclose(data.from_minus_one_one(x, dtype="float32"), [0, 0, 0.5, 1, 1])


@pytest.mark.parametrize(
    "bad, error, match",
    [
        (np.array([0.0, 300.0]), ValueError, r"\[0, 255\]"),
        (np.array([-1.0, 0.5]), ValueError, r"\[0, 255\]"),
        (np.array(["a", "b"]), TypeError, "dtype"),
    ],
)
def test_to_minus_one_one_rejects_out_of_range_input(bad, error, match):
    with pytest.raises(error, match=match):
        data.to_minus_one_one(bad)


def test_check_pixel_values_is_the_shared_range_check():
    assert data.check_pixel_values(np.array([-1.0, 0.5])) == (-1.0, 0.5)
    assert data.check_pixel_values(np.array([0.0, 1.0]), "masks", low=0.0) == (0.0, 1.0)
    with pytest.raises(ValueError, match="masks must lie in \\[0, 1\\]"):
        data.check_pixel_values(np.array([-0.5]), "masks", low=0.0)
    with pytest.raises(ValueError, match=r"\[0, 255\]\? use to_minus_one_one"):
        data.check_pixel_values(np.array([0.0, 255.0]))
    with pytest.raises(ValueError, match="holds no images"):
        data.check_pixel_values(np.zeros((0, 28, 28, 1)))
    with pytest.raises(ValueError, match="NaN"):
        data.check_pixel_values(np.array([np.inf]))


def test_as_images_batches_pixels_and_ranges():
    batch, single = data.as_images(np.zeros((4, 4, 3), np.float32))
    assert batch.shape == (1, 4, 4, 3) and single
    x, _ = data.as_images(np.zeros((2, 4, 4, 5), np.float64), channels=None, batch_only=True)
    assert x.shape == (2, 4, 4, 5) and x.dtype == np.float32
    with pytest.raises(ValueError, match=r"channel axis with images\[\.\.\., None\]"):
        data.as_images(np.zeros((2, 4, 4), np.float32), batch_only=True)
    with pytest.raises(ValueError, match="rank 4"):
        data.as_images(np.zeros((1, 2, 4, 4, 1), np.float32), batch_only=True)
    # pixels: uint8 (N, H, W) as load_fashion_mnist gives them, converted to [-1, 1]
    x, _ = data.as_images(np.full((2, 4, 4), 255, np.uint8), pixels=True)
    assert x.shape == (2, 4, 4, 1) and (x == 1.0).all()
    with pytest.raises(TypeError, match="uint8 pixels or float"):
        data.as_images(np.zeros((2, 4, 4), np.int32), pixels=True)
    with pytest.raises(TypeError, match="uint8 pixels in \\[0, 255\\]"):
        data.as_images(np.zeros((2, 4, 4, 1), np.uint8))
    with pytest.raises(ValueError, match=r"mask must lie in \[0, 1\]"):
        data.as_images(np.full((1, 2, 2, 1), -1.0), "mask", low=0.0)


def test_as_labels_and_photos_and_positive_ints():
    np.testing.assert_array_equal(data.as_labels([0, 9], 10), [0, 9])
    with pytest.raises(ValueError, match="one-hot"):
        data.as_labels(np.eye(3), 3, num_images=3)
    with pytest.raises(ValueError, match=r"y must have shape \(5,\)"):
        data.as_labels([0, 1], 3, "y", num_images=5)
    with pytest.raises(TypeError, match="integer class indices"):
        data.as_labels([0.0, 1.0], 3)
    assert data.as_photo(np.zeros((3, 4, 1), np.uint8)).shape == (3, 4, 1)
    with pytest.raises(ValueError, match=r"one uint8 image \(H, W, 1 or 3\)"):
        data.as_photo(np.zeros((3, 4, 1), np.float32))
    assert data.as_raw_images(np.full((2, 3, 3), 7.5)).dtype == np.float64  # kept in its own units
    assert data.check_positive_int(np.int64(3), "n") == 3
    for bad, match in ((0, "n must be a positive integer"), (True, "positive integer"), (2.0, "positive integer")):
        with pytest.raises(ValueError, match=match):
            data.check_positive_int(bad, "n")
    with pytest.raises(ValueError, match=r"q must be an integer in \[1, 100\] \(a percentage\)"):
        data.check_positive_int(101, "q", high=100, hint=" (a percentage)")


def test_from_minus_one_one_rejects_nan_and_unknown_dtype():
    with pytest.raises(ValueError, match="NaN"):
        data.from_minus_one_one(np.array([0.0, np.nan]))
    with pytest.raises(ValueError, match="dtype"):
        data.from_minus_one_one(np.zeros(2), dtype="uint16")


# --- exercise checkers ---------------------------------------------------------------------


def test_scaling_checker():
    assert exercises.check_scaling(data.to_minus_one_one)
    assert not exercises.check_scaling(None)
    wrong = exercises.check_scaling(lambda x: x / 255.0)
    assert not wrong and "[0, 1]" in wrong.message
    assert not exercises.check_scaling(lambda x: (x / 127.5 - 1.0).astype(np.float64))


def test_unscaling_checker():
    assert exercises.check_unscaling(data.from_minus_one_one)
    wrapped = exercises.check_unscaling(lambda x: ((x + 1) * 127.5).astype(np.uint8))
    assert not wrapped and "clipped" in wrapped.message
    assert not exercises.check_unscaling(lambda x: np.clip((x + 1) * 127.5, 0, 255).astype(np.uint8))  # truncates
    assert not exercises.check_unscaling(...)


def test_class_count_checker():
    labels = np.array([0, 1, 1, 3])
    assert exercises.check_class_counts(np.bincount(labels, minlength=10), labels)
    assert not exercises.check_class_counts(np.bincount(labels), labels)
    assert not exercises.check_class_counts(labels, labels)
    assert not exercises.check_class_counts(..., labels)


@pytest.mark.parametrize("name, index", [("sneaker", 7), ("Sneakers", 7), ("ankle boot", 9), ("Ankle-Boots", 9),
                                         ("tshirt", 0), ("top", 0), ("T-shirt/top", 0), ("dresses", 3), (8, 8), ("5", 5)])
def test_class_index_forgives_case_spaces_and_plurals(name, index):
    assert data.class_index(name) == index


def test_class_index_lists_the_valid_classes_for_an_unknown_name():
    with pytest.raises(ValueError, match="unknown product class 'hat'.*7 'Sneaker'"):
        data.class_index("hat")
    with pytest.raises(ValueError):
        data.class_index(10)
