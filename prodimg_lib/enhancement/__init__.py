"""Enhancing product photos (notebooks 09-12).

- :mod:`.classical`: every classical method the learned models are compared with;
- :mod:`.models`: the super-resolution, restoration and tone networks;
- :mod:`.fit`: the one supervised training loop of the image-to-image models;
- :mod:`.pipeline`: the product pipeline's stages (background, quality gate, export).

Training and measuring them against the classical methods is :mod:`prodimg_lib.experiments`.
"""
