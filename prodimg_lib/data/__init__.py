"""Product image data: Fashion-MNIST, photo folders, pixel scaling and checks, augmentation, degradations.

The package's front door re-exports Fashion-MNIST (:mod:`.fashion_mnist`) and the pixel
helpers (:mod:`.pixels`), so that ``from prodimg_lib import data`` then
``data.load_fashion_mnist()`` and ``data.to_minus_one_one(x)`` work. The other modules are
imported by name: :mod:`.photos` (your own product photos), :mod:`.augment` (Keras
preprocessing layers), :mod:`.degrade` (reproducible (damaged, clean) pairs),
:mod:`.sketch` (line drawings of products, and your own drawings) and :mod:`.explore` (data-set
statistics).
"""

from prodimg_lib.data.fashion_mnist import *  # noqa: F401,F403
from prodimg_lib.data.fashion_mnist import __all__ as _fashion_mnist_all
from prodimg_lib.data.pixels import *  # noqa: F401,F403
from prodimg_lib.data.pixels import __all__ as _pixels_all

__all__ = [*_fashion_mnist_all, *_pixels_all]
