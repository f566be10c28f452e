"""Fixtures shared by the tests."""

import os

import pytest

from prodimg_lib import data


@pytest.fixture(scope="session")
def full_fashion_mnist():
    """The full, verified Fashion-MNIST, found offline.

    Outside CI the tests that need it skip (with the reason) when it is absent; in CI
    (``PRODIMG_REQUIRE_FULL_DATA=1``) they fail instead.
    """
    try:
        return data.locate_fashion_mnist(download=False)
    except data.DataNotFoundError as exc:
        if os.environ.get("PRODIMG_REQUIRE_FULL_DATA") == "1":
            raise
        pytest.skip(f"full Fashion-MNIST not available offline: {exc}")


@pytest.fixture(scope="session")
def sample():
    """The committed Fashion-MNIST sample (uint8), as ``data.load_sample()`` gives it."""
    return data.load_sample()


@pytest.fixture
def isolated_cache(tmp_path, monkeypatch):
    """Point the project cache at an empty temporary folder."""
    cache = tmp_path / "cache"
    monkeypatch.setenv(data.ENV_CACHE, str(cache))
    monkeypatch.delenv(data.ENV_DIR, raising=False)
    return cache / "fashion-mnist"
