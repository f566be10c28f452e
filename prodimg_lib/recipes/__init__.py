"""The course's training recipes for the enhancement models, shared by notebooks and benchmark.

One module per notebook; each trains its models with the settings of a run profile and
measures them against the classical baselines on held-out Fashion-MNIST test images:

- :mod:`.super_resolution` (notebook 08): x2 and x4 super-resolution;
- :mod:`.restoration` (notebook 09): denoising and defect repair (inpainting);
- :mod:`.tone` (notebook 10): low-light enhancement.

Each module has ``benchmark(fm, profile, *, log=print) -> list[dict]``, one row per method
and task (keys ``task``, ``method``, ``psnr``, ``ssim``, ``seconds``; optional
``psnr_mask``, ``ssim_mask``, ``gain_db``, ``target_db``), which
``python -m prodimg_lib.bench enhance`` prints as one table. The notebooks call the same
training functions, so the notebooks and the benchmark report the same models.
"""
