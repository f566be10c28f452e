"""Generating product images with GANs (notebooks 05-06).

- :mod:`.dcgan`: the DCGAN and conditional DCGAN builders;
- :mod:`.losses`: the discriminator and generator losses, from logits;
- :mod:`.gan`: the ``GAN`` model (``fit`` trains both networks) and :func:`~.gan.train`;
- :mod:`.steps`: its training step, one per Keras backend;
- :mod:`.dataset`: full, reshuffled, seeded batches without ``tf.data``;
- :mod:`.callbacks`: stop on NaN, sample grids, the GIF;
- :mod:`.checkpoint`: atomic checkpoints and exact resume;
- :mod:`.sampling`: fixed and truncated noise, images on request, latent interpolation;
- :mod:`.monitor`: per-batch curves, live progress, the architecture drawing.
"""
