"""Experiments of notebooks 09-11: train an enhancement model, tune the classical methods, measure both.

They sit above :mod:`prodimg_lib.enhancement` (the methods and models) and
:mod:`prodimg_lib.evaluation` (PSNR and SSIM), and are shared by the notebooks and the
enhancement benchmark:

- :mod:`.common`: the held-out split, the input check and the record of a trained run;
- :mod:`.tuning`: a classical method's parameters, tuned on held-out images by PSNR;
- :mod:`.super_resolution`, :mod:`.restoration`, :mod:`.tone`: one module per notebook.
"""
