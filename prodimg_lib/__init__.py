"""prodimg_lib: the tested helper library of the course *Deep learning for product image
generation and enhancement*.

The folders show its concerns; each layer imports only the ones below it:

- ``files``: the one atomic writer (a file or folder appears complete, or not at all);
- ``reference``: NumPy references of losses, optimisers, activations and CNN operations, and
  the gradient checker (notebooks 01-03);
- ``data``: Fashion-MNIST, photo folders, pixel scaling and checks, augmentation, degradations;
- ``viz``: every image grid, comparison panel and results table;
- ``generation``: the DCGANs, their losses, the GAN model with a training step per Keras
  backend, callbacks, checkpoints and sampling (notebooks 05-06);
- ``enhancement``: classical methods, the enhancement networks, their training loop, the
  product pipeline's stages (notebooks 09-12);
- ``evaluation``: PSNR and SSIM, classifier-feature distances, the product classifier;
- ``experiments``: train an enhancement model, tune the classical methods on held-out
  images, measure both (notebooks 09-11);
- ``course``: run profiles, the environment report, saved models, the notebook runner, the
  ``prodimg`` command and the exercise checkers.

Import what you need, e.g. ``from prodimg_lib.generation import gan``. Importing the
package itself loads nothing but this page: no Keras, and no backend.
"""

__version__ = "0.1.0"

# The course repository on GitHub ("owner/name"): the one place its address is written.
# Colab badges and install cells in the notebooks are checked against it by the tests.
GITHUB_REPO = "prodimg-course/product-image-deep-learning"
GITHUB_URL = f"https://github.com/{GITHUB_REPO}"
