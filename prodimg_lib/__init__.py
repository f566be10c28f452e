"""prodimg_lib: the tested helper library of the course *Deep learning for product image
generation and enhancement*.

Modules (import the one you need, e.g. ``from prodimg_lib import data``):

- ``data``: Fashion-MNIST (verified, offline when possible), the committed sample, scaling to [-1, 1];
- ``photos``: your own folder of product photos;
- ``explore``: data-set statistics (class counts, mean images, confusion matrices);
- ``losses``, ``optim``, ``ops``: NumPy reference implementations checked against Keras (notebooks 01-03);
- ``augment``: Keras preprocessing layers for data augmentation;
- ``models``: model builders (product classifier, DCGAN and conditional DCGAN);
- ``gan``: the GAN model, its training step, monitoring callbacks and resumable checkpoints;
- ``metrics``: generator evaluation in the product classifier's feature space, PSNR and SSIM;
- ``degrade``: reproducible degradations making (damaged, clean) pairs;
- ``enhance``: classical enhancement and restoration baselines;
- ``profiles``: the run sizes ``smoke``, ``cpu``, ``gpu``;
- ``artifacts``: the build folder and the saved models;
- ``env``: environment report (versions, CPU/GPU, data found);
- ``viz``: labelled image grids;
- ``report``: headline numbers a notebook reports to the course runner;
- ``exercises``: the machinery behind the notebooks' ``check_...`` functions;
- ``notebooks``, ``course``, ``cli``: running the course headless.
"""

from .env import quiet_tensorflow as _quiet_tensorflow

__version__ = "0.1.0"

# The course repository on GitHub ("owner/name"): the one place its address is written.
# Colab badges and install cells in the notebooks are checked against it by the tests.
GITHUB_REPO = "prodimg-course/product-image-deep-learning"
GITHUB_URL = f"https://github.com/{GITHUB_REPO}"

# Import TensorFlow (when Keras runs on it) now, without its C++ start-up lines on stderr,
# so that a later `import keras` in a notebook prints nothing.
_quiet_tensorflow()
