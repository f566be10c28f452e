"""Classical enhancement and restoration: the baselines every learned model is measured against.

These are the tools a photo editor offers, each a thin wrapper around a library
implementation (scikit-image, SciPy, Keras image ops), never a hand-written algorithm:

- upscaling: :func:`upscale` (nearest, bilinear, bicubic, Lanczos; ``keras.ops.image.resize``);
- denoising: :func:`denoise_tv` (total variation, Chambolle), :func:`denoise_bilateral`,
  :func:`denoise_nl_means` (non-local means); their parameters are tuned on held-out images
  (:func:`prodimg_lib.experiments.tuning.tune`) before they are compared with a learned denoiser;
- defect repair: :func:`inpaint_biharmonic`;
- tone: :func:`equalize_hist`, :func:`clahe`, :func:`adjust_gamma`, :func:`auto_contrast`,
  and for low light :func:`auto_gamma` (per-image gamma from the mean), :func:`levels_gamma`
  (per-image levels, then gamma) and :func:`undo_low_light` (the exact inverse, parameters known);
- white balance: :func:`grey_world` and :func:`white_patch`;
- the adjustments of the article's section 2.4: :func:`adjust_brightness`,
  :func:`adjust_contrast`, :func:`adjust_saturation`; and :func:`unsharp_mask` sharpening.

Every function takes images in the models' range, float in [-1, 1], shape (N, H, W, C)
with C = 1 or 3 (or one image (H, W, C)), and returns float32 images of the same shape
(larger for :func:`upscale`) clipped to [-1, 1]. scikit-image works on [0, 1] images, so
the wrappers convert u = (x + 1) / 2 and back: parameters that are intensities
(``weight``, ``sigma_color``, ``h``, ``delta``) are therefore in [0, 1] units, a fraction
of the full black-to-white range (0.1 is 25.5 grey levels out of 255).

The methods live in :mod:`.resize`, :mod:`.restore` and :mod:`.tone`
(:mod:`.channels` is how they run image by image); this page gathers them, so that
``from prodimg_lib.enhancement import classical`` then ``classical.upscale(...)`` works.
"""

from prodimg_lib.enhancement.classical.resize import *  # noqa: F401,F403
from prodimg_lib.enhancement.classical.resize import __all__ as _resize
from prodimg_lib.enhancement.classical.restore import *  # noqa: F401,F403
from prodimg_lib.enhancement.classical.restore import __all__ as _restore
from prodimg_lib.enhancement.classical.tone import *  # noqa: F401,F403
from prodimg_lib.enhancement.classical.tone import __all__ as _tone

__all__ = [*_resize, *_restore, *_tone]
