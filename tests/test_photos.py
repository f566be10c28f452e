import warnings

import numpy as np
import pytest
from PIL import Image
from skimage import data as skdata

from prodimg_lib.data.photos import UnreadableFilesWarning, load_photo_folder, read_photo

# Real photographs shipped with scikit-image: (name, loader)
PHOTOS = {"coffee": skdata.coffee, "rocket": skdata.rocket, "chelsea": skdata.chelsea, "astronaut": skdata.astronaut}


@pytest.fixture
def flat_folder(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    for name, load in PHOTOS.items():
        Image.fromarray(load()).save(folder / f"{name}.jpg", quality=92)
    return folder


@pytest.fixture
def class_folder(tmp_path):
    folder = tmp_path / "shop"
    for cls, names in {"cups": ["coffee"], "things": ["rocket", "astronaut"]}.items():
        (folder / cls).mkdir(parents=True)
        for name in names:
            Image.fromarray(PHOTOS[name]()).save(folder / cls / f"{name}.png")
    return folder


def test_flat_folder_of_real_photos(flat_folder):
    photos = load_photo_folder(flat_folder, size=(48, 64))
    assert photos.images.shape == (4, 48, 64, 3) and photos.images.dtype == np.uint8
    assert photos.labels is None and photos.class_names == []
    assert [p.stem for p in photos.paths] == sorted(PHOTOS)
    assert photos.skipped == []
    # padding keeps the whole photo: the coffee photo (400x600) is letterboxed with white rows
    coffee = photos.images[[p.stem for p in photos.paths].index("coffee")]
    assert coffee[0].min() == 255 and coffee[24].std() > 10


def test_class_subfolders_give_labels_in_alphabetical_order(class_folder):
    photos = load_photo_folder(class_folder, size=32)
    assert photos.class_names == ["cups", "things"]
    assert photos.labels.tolist() == [0, 1, 1]
    assert photos.images.shape == (3, 32, 32, 3)


def test_grayscale_and_fit_modes(flat_folder):
    gray = load_photo_folder(flat_folder, size=28, color_mode="grayscale", fit="crop")
    assert gray.images.shape == (4, 28, 28, 1)
    stretched = load_photo_folder(flat_folder, size=28, fit="stretch")
    assert stretched.images.shape == (4, 28, 28, 3)
    # cropping fills the frame: no white letterbox rows on the wide coffee photo
    coffee = gray.images[[p.stem for p in gray.paths].index("coffee")]
    assert coffee[0].min() < 255


def test_class_folders_are_searched_at_every_depth(class_folder):
    """As image_dataset_from_directory does: shop/things/red/x.png is one of the things."""
    (class_folder / "things" / "red").mkdir()
    Image.fromarray(PHOTOS["chelsea"]()).save(class_folder / "things" / "red" / "chelsea.png")
    (class_folder / "things" / ".hidden").mkdir()
    Image.fromarray(PHOTOS["coffee"]()).save(class_folder / "things" / ".hidden" / "coffee.png")
    photos = load_photo_folder(class_folder, size=16)
    assert photos.class_names == ["cups", "things"]
    assert [(p.relative_to(class_folder).as_posix(), int(y)) for p, y in zip(photos.paths, photos.labels)] == [
        ("cups/coffee.png", 0), ("things/astronaut.png", 1), ("things/red/chelsea.png", 1), ("things/rocket.png", 1)]


@pytest.mark.parametrize("dtype", ["uint16", "float32"])
def test_deep_grayscale_is_scaled_to_8_bits_not_clipped(tmp_path, dtype):
    """A 16-bit PNG (or a float TIFF in [0, 1]) ramp keeps its tones: mean about 127, not 251."""
    ramp = np.tile(np.linspace(0, 1, 256), (16, 1))
    if dtype == "uint16":
        Image.fromarray(np.round(ramp * 65535).astype(np.uint16)).save(tmp_path / "ramp.png")
    else:
        Image.fromarray(ramp.astype(np.float32), "F").save(tmp_path / "ramp.tif")
    for color_mode, channels in (("grayscale", 1), ("rgb", 3)):
        photos = load_photo_folder(tmp_path, size=(16, 256), color_mode=color_mode, fit="stretch")
        image = photos.images[0]
        assert image.shape == (16, 256, channels)
        assert abs(float(image.mean()) - 127.5) < 2 and image.min() == 0 and image.max() == 255
    name = next(tmp_path.iterdir())
    assert abs(float(read_photo(name).mean()) - 127.5) < 2


def test_transparent_png_is_put_on_white(tmp_path):
    rgba = np.zeros((10, 10, 4), dtype=np.uint8)  # fully transparent black
    Image.fromarray(rgba, "RGBA").save(tmp_path / "cutout.png")
    photos = load_photo_folder(tmp_path, size=10)
    assert photos.images.min() == 255


def test_corrupt_file_is_skipped_and_counted(flat_folder):
    (flat_folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 this is not really a jpeg")
    (flat_folder / "notes.txt").write_text("price list")
    with pytest.warns(UnreadableFilesWarning, match=r"skipped 2 of 6 file\(s\).*broken\.jpg"):
        photos = load_photo_folder(flat_folder, size=16)
    assert len(photos) == 4
    assert {p.name for p, _ in photos.skipped} == {"broken.jpg", "notes.txt"}


def test_truncated_jpeg_is_skipped(flat_folder):
    whole = (flat_folder / "rocket.jpg").read_bytes()
    (flat_folder / "rocket.jpg").write_bytes(whole[: len(whole) // 3])
    with pytest.warns(UnreadableFilesWarning, match="rocket.jpg"):
        photos = load_photo_folder(flat_folder, size=16)
    assert len(photos) == 3


def test_hidden_files_are_ignored(flat_folder):
    (flat_folder / ".DS_Store").write_bytes(b"\x00\x01")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(load_photo_folder(flat_folder, size=8)) == 4


def test_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_photo_folder(tmp_path / "nope")


def test_path_is_a_file(flat_folder):
    with pytest.raises(NotADirectoryError, match="is a file"):
        load_photo_folder(flat_folder / "coffee.jpg")


def test_empty_folder(tmp_path):
    with pytest.raises(ValueError, match="contains no files"):
        load_photo_folder(tmp_path)


def test_folder_with_only_unreadable_files(tmp_path):
    (tmp_path / "a.jpg").write_text("no")
    with pytest.warns(UnreadableFilesWarning), pytest.raises(ValueError, match="none of the 1 file"):
        load_photo_folder(tmp_path)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"size": 0}, "size"),
        ({"size": (10, 10, 3)}, "size"),
        ({"color_mode": "cmyk"}, "color_mode"),
        ({"fit": "zoom"}, "fit"),
        ({"pad_value": 300}, "pad_value"),
    ],
)
def test_bad_arguments(flat_folder, kwargs, match):
    with pytest.raises(ValueError, match=match):
        load_photo_folder(flat_folder, **kwargs)


def test_the_demo_photo_folder_flat_shrunk_and_by_class(tmp_path):
    from prodimg_lib.data.photos import demo_photo_folder

    flat = demo_photo_folder(tmp_path / "flat", ["coffee", "rocket"], shrink=4)
    assert sorted(p.name for p in flat.iterdir()) == ["coffee.png", "rocket.png"]
    assert read_photo(flat / "coffee.png").shape == (100, 150, 3)  # skimage's coffee is 400 x 600
    with pytest.warns(UnreadableFilesWarning):
        photos = load_photo_folder(demo_photo_folder(tmp_path / "classes", by_class=True), size=32)
    assert photos.class_names == ["astronauts", "cats", "cups", "rockets"]
    assert len(photos) == 6 and [p.name for p, _ in photos.skipped] == ["rocket_download.jpg"]
    with pytest.raises(ValueError, match="no demo photo 'lena'"):
        demo_photo_folder(tmp_path / "x", ["lena"])
