"""Generating product images: GANs (notebooks 05-06), diffusion and flow matching (notebook 08), sketch to product.

- :mod:`.dcgan`: the DCGAN and conditional DCGAN builders;
- :mod:`.losses`: the discriminator and generator losses, from logits;
- :mod:`.gan`: the ``GAN`` model (``fit`` trains both networks) and :func:`~.gan.train`;
- :mod:`.steps`: its training step, one per Keras backend;
- :mod:`.dataset`: full, reshuffled, seeded batches without ``tf.data``;
- :mod:`.callbacks`: stop on NaN, sample grids, the GIF;
- :mod:`.checkpoint`: atomic checkpoints and exact resume;
- :mod:`.sampling`: fixed and truncated noise, images on request, latent interpolation;
- :mod:`.monitor`: per-batch curves, live progress, the architecture drawing;
- :mod:`.unet`: the denoising U-Net with time and class embeddings;
- :mod:`.diffusion`: the forward noising, DDPM and flow-matching batches, the samplers, guidance;
- :mod:`.diffusion_training`: compile with an EMA of the weights, fit with atomic checkpoints and resume;
- :mod:`.pix2pix`: the sketch-to-product U-Net generator and PatchGAN discriminator, and the receptive field.
"""
