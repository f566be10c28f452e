"""The enhancement networks, one module per family: :mod:`.sr` (ESPCN, EDSR), :mod:`.restore` (DnCNN, the mask-aware U-Net) and :mod:`.tone` (the curve estimator)."""
